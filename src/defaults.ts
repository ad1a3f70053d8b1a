// Pinned versions and defaults, in a module with no imports so that flag parsing stays cheap.
export const DEFAULT_OPERATOR_VERSION = 'v1.32.5';
export const DEFAULT_CERT_MANAGER_VERSION = 'v1.18.5';
export const DEFAULT_NAMESPACE = 'k8ssandra-operator';

/** The routability probe: the ports Cassandra uses, a public image with sh and nc, a short connect timeout. */
export const DEFAULT_PROBE_PORTS = [7000, 7001, 9042, 8080];
export const DEFAULT_PROBE_IMAGE = 'docker.io/library/busybox:1.37';
export const DEFAULT_PROBE_TIMEOUT_MS = 2000;
export interface ProbeSettings { ports: number[]; image: string; timeoutMs: number }
export const DEFAULT_PROBE: ProbeSettings = { ports: DEFAULT_PROBE_PORTS, image: DEFAULT_PROBE_IMAGE, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS };
