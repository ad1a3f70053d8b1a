// The probe-pod contract: what the CLI's probe pods are (templates/probe-*.yaml, filled in by pods.ts)
// and what they report. The test bed's pod network agent (testbed/podnet.ts) plays these pods with real
// sockets on their loopback pod IPs, so the real probe image and the bed must behave the same way.
// This module has no imports so that the test bed can use it without pulling in the CLI.

/** Label key that marks a probe pod; its value says which role the pod plays. */
export const PROBE_LABEL = 'k8ssandra.io/probe';
export const PROBE_LISTENER = 'listener';
export const PROBE_CONNECTOR = 'connector';
export type ProbeRole = typeof PROBE_LISTENER | typeof PROBE_CONNECTOR;
/** The run a probe pod belongs to (the CLI's own bookkeeping; the bed ignores it). */
export const PROBE_RUN_LABEL = 'k8ssandra.io/probe-run';

/**
 * Listener pod: `k8ssandra.io/probe=listener`. Once Running with a podIP it accepts TCP connections on
 * podIP:P for every `spec.containers[*].ports[*].containerPort` P (and closes them at once), until the
 * pod is deleted. The real image reads the same ports from env ENV_PORTS.
 *
 * Connector pod: `k8ssandra.io/probe=connector`, a bare Pod (not owned by a Job: kwok's default
 * pod-complete stage would mark a Job's pod Succeeded by itself) with `restartPolicy: Never`. Its first
 * container's env holds the targets and the timeout (plain `value`s, not `valueFrom`). Once Running with
 * a podIP it connects to every target in parallel from its own pod IP, then ends: phase `Succeeded`,
 * first container `state.terminated` with exitCode 0 and `message` = JSON {@link ProbeReport}.
 */
export const ENV_PORTS = 'PROBE_PORTS'; // space-separated port list (listener)
export const ENV_TARGETS = 'PROBE_TARGETS'; // space-separated "ip:port" list (connector)
export const ENV_TIMEOUT_MS = 'PROBE_TIMEOUT_MS';
/**
 * Connector only: API servers to reach, a space-separated list of "https://host:port" (host a name, an
 * IPv4 address, or an IPv6 address in brackets). For each the connector opens a TCP connection and
 * completes a TLS handshake; any HTTP answer afterwards (401 and 403 included) counts as reached,
 * because the ClientConfig's credentials are checked elsewhere. The result's `target` is the URL as
 * given. The real image is busybox: `wget -T SECONDS -O /dev/null https://host:port/version` (its
 * TLS client or `ssl_client` does the handshake; "server returned error: HTTP/..." is a success), with
 * names resolved by the pod's cluster DNS, as the control-plane operator's own pods resolve them.
 */
export const ENV_API_SERVERS = 'PROBE_API_SERVERS';
/** The connector's timeout when ENV_TIMEOUT_MS is empty. */
export const DEFAULT_TIMEOUT_MS = 2000;

/** One entry of ENV_TARGETS; an IPv6 address goes in brackets. */
export const targetOf = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** One entry of ENV_API_SERVERS. */
export const apiServerTargetOf = (host: string, port: number) => `https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;

/** Kubernetes keeps at most this many bytes of a termination message. */
export const MESSAGE_LIMIT = 4096;

/**
 * Why a target failed: "timeout" (no answer within the timeout, like a firewall drop), "refused"
 * (nothing listens there), "reset" (the peer reset the connection), "unroutable" (not a loopback IPv4
 * target, which the bed never dials), "invalid" (not "ip:port"), or another lower-cased errno code.
 * API-server targets also fail with "dns" (the name does not resolve in the pod) and "tls" (TCP
 * connected but no TLS handshake: not a TLS server, or not an API server).
 */
export type ProbeError = 'timeout' | 'refused' | 'reset' | 'unroutable' | 'invalid' | 'dns' | 'tls' | (string & {});

export interface ProbeResult {
  target: string; // "ip:port" (or an API server's "https://host:port") as given
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

/** A connector's termination message as a report; undefined when it is not one. */
export function parseProbeReport(message: string | undefined): ProbeReport | undefined {
  try {
    const r = JSON.parse(message ?? '') as ProbeReport;
    return Array.isArray(r?.results) ? r : undefined;
  } catch {
    return undefined;
  }
}
