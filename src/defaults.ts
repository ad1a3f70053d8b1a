// Pinned versions and defaults, in a module with no imports so that flag parsing stays cheap.
export const DEFAULT_OPERATOR_VERSION = 'v1.32.5';
export const DEFAULT_CERT_MANAGER_VERSION = 'v1.18.5';
export const DEFAULT_NAMESPACE = 'k8ssandra-operator';
