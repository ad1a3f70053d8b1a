// The probe-pod contract between the CLI's routability check and the test bed's pod network agent
// (testbed/podnet.ts), which plays these pods with real sockets on their loopback pod IPs.
// The real probe image must behave the same way; keep this module free of imports so anyone can use it.

/** Label key that marks a probe pod; its value says which role the pod plays. */
export const PROBE_LABEL = 'k8ssandra.io/probe';
export const PROBE_LISTENER = 'listener';
export const PROBE_CONNECTOR = 'connector';

/**
 * Listener pod: `k8ssandra.io/probe=listener`. Once Running with a podIP it accepts TCP connections on
 * podIP:P for every `spec.containers[*].ports[*].containerPort` P (and closes them at once), until the
 * pod is deleted.
 *
 * Connector pod: `k8ssandra.io/probe=connector`, a bare Pod (not owned by a Job: kwok's default
 * pod-complete stage would mark a Job's pod Succeeded by itself) with `restartPolicy: Never`. Its first
 * container's env holds the targets and the timeout (plain `value`s, not `valueFrom`). Once Running with
 * a podIP it connects to every target in parallel from its own pod IP, then ends: phase `Succeeded`,
 * first container `state.terminated` with exitCode 0 and `message` = JSON {@link ProbeReport}.
 */
export const ENV_TARGETS = 'PROBE_TARGETS'; // space-separated "ip:port" list
export const ENV_TIMEOUT_MS = 'PROBE_TIMEOUT_MS';
export const DEFAULT_TIMEOUT_MS = 2000;

/** Kubernetes keeps at most this many bytes of a termination message. */
export const MESSAGE_LIMIT = 4096;

/**
 * Why a target failed: "timeout" (no answer within the timeout, like a firewall drop), "refused"
 * (nothing listens there), "reset" (the peer reset the connection), "unroutable" (not a loopback IPv4
 * target, which the bed never dials), "invalid" (not "ip:port"), or another lower-cased errno code.
 */
export type ProbeError = 'timeout' | 'refused' | 'reset' | 'unroutable' | 'invalid' | (string & {});

export interface ProbeResult {
  target: string; // "ip:port" as given
  ok: boolean;
  ms?: number; // time to connect or to fail (left out when the report had to be compacted)
  error?: ProbeError;
}

/**
 * The termination message. When the full report would exceed MESSAGE_LIMIT bytes, `ms` is dropped from
 * every result; if it is still too long, the results that do not fit are left off (failures are kept
 * first) and counted in `omitted`.
 */
export interface ProbeReport {
  results: ProbeResult[];
  omitted?: number;
}
