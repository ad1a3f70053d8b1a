// Probe pods: the objects from their templates, and what their status says.
import type { ProbeSettings } from '../defaults.js';
import type { KubeObject } from '../model/object.js';
import { loadTemplate } from '../plan/templates.js';
import { ENV_API_SERVERS, ENV_PORTS, ENV_TARGETS, ENV_TIMEOUT_MS, parseProbeReport, PROBE_LISTENER, PROBE_RUN_LABEL, type ProbeReport, type ProbeRole } from './contract.js';
import { probePodName, type ConnectorPlan } from './plan.js';

function setEnv(container: any, name: string, value: string): void {
  const e = (container.env as { name: string; value: string }[]).find((x) => x.name === name);
  if (!e) throw new Error(`template lacks env ${name}`);
  e.value = value;
}

export function listenerPod(namespace: string, runId: string, s: ProbeSettings): KubeObject {
  const [pod] = loadTemplate('probe-listener.yaml') as [KubeObject];
  Object.assign(pod.metadata, { name: probePodName(PROBE_LISTENER, runId), namespace });
  pod.metadata.labels![PROBE_RUN_LABEL] = runId;
  const c = pod.spec.containers[0];
  c.image = s.image;
  c.ports = s.ports.map((containerPort) => ({ containerPort, protocol: 'TCP' }));
  setEnv(c, ENV_PORTS, s.ports.join(' '));
  return pod;
}

export function connectorPod(namespace: string, runId: string, plan: ConnectorPlan, s: ProbeSettings): KubeObject {
  const [pod] = loadTemplate('probe-connector.yaml') as [KubeObject];
  Object.assign(pod.metadata, { name: plan.name, namespace });
  pod.metadata.labels![PROBE_RUN_LABEL] = runId;
  const c = pod.spec.containers[0];
  c.image = s.image;
  setEnv(c, ENV_TARGETS, plan.targets.map((t) => t.target).join(' '));
  setEnv(c, ENV_TIMEOUT_MS, String(s.timeoutMs));
  setEnv(c, ENV_API_SERVERS, (plan.apiServers ?? []).map((t) => t.address).join(' '));
  return pod;
}

/** Waiting reasons that will not go away by waiting. */
const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff']);

/** Why a probe pod will never do its job, if that is already clear. */
export function podProblem(pod: any, role: ProbeRole): string | undefined {
  const status = pod?.status ?? {};
  const c = status.containerStatuses?.[0];
  const waiting = c?.state?.waiting;
  if (waiting && STUCK.has(waiting.reason)) return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  const terminated = c?.state?.terminated;
  if (status.phase === 'Failed' || (role === PROBE_LISTENER && terminated)) {
    const what = terminated?.message?.trim() || terminated?.reason || status.reason || 'failed';
    return `exited${terminated ? ` with code ${terminated.exitCode}` : ''}: ${what}`;
  }
  return undefined;
}

/** A listener is ready for connectors once Running and Ready with a pod IP. */
export function listenerIp(pod: any): string | undefined {
  const s = pod?.status;
  const ready = s?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
  return s?.phase === 'Running' && ready && s.podIP ? s.podIP : undefined;
}

/** A finished connector's report (or why it has none); undefined while it runs. */
export function connectorOutcome(pod: any): ProbeReport | { failed: string } | undefined {
  const phase = pod?.status?.phase;
  if (phase !== 'Succeeded' && phase !== 'Failed') return undefined;
  const terminated = pod.status.containerStatuses?.[0]?.state?.terminated;
  return parseProbeReport(terminated?.message) ?? { failed: `probe ${phase.toLowerCase()}: ${terminated?.message?.trim() || terminated?.reason || 'no report'}` };
}

/** A pod's state in a few words, for progress and timeouts. */
export function podState(pod: any): string {
  if (!pod) return 'not found';
  const s = pod.status ?? {};
  const scheduled = s.conditions?.find((c: any) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') return `${scheduled.reason ?? 'unscheduled'}${scheduled.message ? `: ${scheduled.message}` : ''}`;
  const waiting = s.containerStatuses?.[0]?.state?.waiting;
  return waiting?.reason ?? s.phase ?? 'Pending';
}
