// The test bed as functions: up, down, status, cut, heal, safetyCheck. The CLI (testbed/cli.ts), the
// vitest global setup and benchmarks all call these; nothing here needs a shell. Each lives in the file
// named after what it does (lifecycle, status, cuts, safety); this file is only the bed's front door.
export { cut, heal, type Cut } from './cuts.js';
export { down, up, type UpOptions, type UpResult } from './lifecycle.js';
export { kubeconfigPath } from './paths.js';
export { safetyCheck } from './safety.js';
export { type BedSettings, DEFAULT_K8S_VERSION, describeSettings } from './settings.js';
export { status, type BedStatus, type ClusterStatus } from './status.js';
export { contextName, podCidr, serviceCidr } from './topology.js';
