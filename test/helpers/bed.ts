// Helpers for tests that run against the test bed: kubectl as the independent client, probe pods, waits.
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { kubeCacheDir, kubeconfigPath, repoRoot, safetyCheckPath, testbedDir } from '../../testbed/paths.js';
import { waitFor as bedWaitFor } from '../../testbed/wait.js';
import {
  ENV_TARGETS,
  ENV_TIMEOUT_MS,
  PROBE_CONNECTOR,
  PROBE_LABEL,
  PROBE_LISTENER,
  type ProbeReport,
} from '../../src/routability/contract.js';

/** The bed's kubeconfig (set by the global setup; the default path otherwise). */
export function bedKubeconfig(): string {
  return process.env.K8SSANDRA_TESTBED_KUBECONFIG ?? kubeconfigPath;
}

/**
 * The bed's own kubectl cache (discovery is cached per host:port, and beds reuse ports): set by the
 * global setup for every kubectl a test runs; given here too for helpers used outside vitest's setup.
 */
const kubectlEnv = { KUBECACHEDIR: process.env.KUBECACHEDIR ?? kubeCacheDir };

/** Runs kubectl against one context of the bed; resolves with stdout, rejects with stderr in the message. */
export async function kubectl(context: string, ...args: string[]): Promise<string> {
  const r = await execa('kubectl', ['--kubeconfig', bedKubeconfig(), '--context', context, ...args], { reject: false, env: kubectlEnv });
  if (r.exitCode !== 0) throw new Error(`kubectl --context ${context} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function kubectlJson<T = any>(context: string, ...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(context, ...args, '-o', 'json')) as T;
}

/** kubectl apply of objects given as data (no files). */
export async function apply(context: string, ...objects: unknown[]): Promise<void> {
  const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
  const r = await execa('kubectl', ['--kubeconfig', bedKubeconfig(), '--context', context, 'apply', '-f', '-'], { input, reject: false, env: kubectlEnv });
  if (r.exitCode !== 0) throw new Error(`kubectl --context ${context} apply: ${r.stderr}`);
}

/** The kinds a cluster serves in one apiVersion (none when the group/version is not served, e.g. no CRD yet). */
export async function servedKinds(context: string, apiVersion: string): Promise<Set<string>> {
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const r = await execa('kubectl', ['--kubeconfig', bedKubeconfig(), '--context', context, 'get', '--raw', path], { reject: false, env: kubectlEnv });
  if (r.exitCode !== 0) {
    if (/NotFound|not found|404/.test(r.stderr)) return new Set();
    throw new Error(`kubectl --context ${context} get --raw ${path}: ${r.stderr}`);
  }
  return new Set((JSON.parse(r.stdout) as { resources: { kind: string }[] }).resources.map((res) => res.kind));
}

/**
 * Deletes objects given as data, whatever state the cluster is in: objects of kinds it does not serve
 * (cert-manager's Certificate on a fresh bed) cannot exist there and are left out, since kubectl fails
 * on them with "no matches for kind" (which --ignore-not-found does not cover); missing objects are fine.
 */
export async function deleteObjects(context: string, objects: { apiVersion: string; kind: string }[], ...flags: string[]): Promise<void> {
  const versions = [...new Set(objects.map((o) => o.apiVersion))];
  const served = new Map(await Promise.all(versions.map(async (v) => [v, await servedKinds(context, v)] as const)));
  const items = objects.filter((o) => served.get(o.apiVersion)?.has(o.kind));
  if (items.length === 0) return;
  const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
  const r = await execa('kubectl', ['--kubeconfig', bedKubeconfig(), '--context', context, 'delete', '-f', '-', '--ignore-not-found', ...flags],
    { input, reject: false, env: kubectlEnv });
  if (r.exitCode !== 0) throw new Error(`kubectl --context ${context} delete: ${r.stderr}`);
}

/**
 * For a `.catch` on a kubectl delete of custom resources: a cluster that does not serve the kind (a fresh
 * bed, the CRDs not installed yet) has none of them to delete.
 */
export function unlessNoSuchType(e: Error): void {
  if (!/the server doesn't have a resource type|no matches for kind/.test(e.message)) throw e;
}

/** A name unique to this run, for namespaces and other objects tests create. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

/** Polls `check` until it returns a value (errors count as "not yet"); the bed's own wait, with the test's argument order. */
export const waitFor = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => bedWaitFor(what, timeoutMs, check);

export async function createNamespace(context: string, name: string): Promise<void> {
  await apply(context, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/**
 * Deletes a namespace and waits until it is gone (kwok's pod-delete stage finishes its pods), so that the
 * next file finds no namespace half-deleted (seen: one vanishing during flags-namespace's before/after
 * snapshot). A deletion slower than two minutes is left to finish on its own.
 */
export async function deleteNamespace(context: string, name: string): Promise<void> {
  await kubectl(context, 'delete', 'namespace', name, '--wait=true', '--timeout=120s', '--ignore-not-found')
    .catch((e: Error) => { if (!/timed out/.test(e.message)) throw e; });
}

export function listenerPod(namespace: string, name: string, ports: number[]): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels: { [PROBE_LABEL]: PROBE_LISTENER } },
    spec: {
      containers: [{ name: 'probe', image: 'k8ssandra/probe:test', ports: ports.map((containerPort) => ({ containerPort })) }],
    },
  };
}

export function connectorPod(namespace: string, name: string, targets: string[], timeoutMs = 1000): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels: { [PROBE_LABEL]: PROBE_CONNECTOR } },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'probe',
          image: 'k8ssandra/probe:test',
          env: [
            { name: ENV_TARGETS, value: targets.join(' ') },
            { name: ENV_TIMEOUT_MS, value: String(timeoutMs) },
          ],
        },
      ],
    },
  };
}

/** Waits until a pod is Running with an IP and returns the IP. */
export async function podIp(context: string, namespace: string, name: string): Promise<string> {
  return waitFor(`pod ${context}/${namespace}/${name} Running with an IP`, async () => {
    const pod = await kubectlJson(context, '-n', namespace, 'get', 'pod', name);
    return pod.status?.phase === 'Running' && pod.status.podIP ? (pod.status.podIP as string) : undefined;
  });
}

/** Waits for a connector pod to finish and returns the report in its termination message. */
export async function probeReport(context: string, namespace: string, name: string, timeoutMs = 30_000): Promise<ProbeReport> {
  return waitFor(
    `connector ${context}/${namespace}/${name} to finish`,
    async () => {
      const pod = await kubectlJson(context, '-n', namespace, 'get', 'pod', name);
      const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
      return pod.status?.phase === 'Succeeded' && terminated ? (JSON.parse(terminated.message) as ProbeReport) : undefined;
    },
    timeoutMs,
  );
}

/**
 * A bed of its own, beside the run's shared bed: a throw-away checkout holding testbed/ (the bed finds
 * its state from its own location) with links to node_modules and src, so it claims its own slot, ports
 * and .testbed/. For tests of beds made another way (flags of `up`) or of many beds.
 */
export interface BedCopy {
  root: string;
  kubeconfig: string;
  /** `npm run testbed -- ...args` in the copy; never rejects (exitCode, all). */
  cli(...args: string[]): Promise<{ exitCode: number; all: string }>;
  /** kubectl against a context of the copy's bed; resolves with stdout and stderr. */
  kubectl(context: string, ...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** The machine's network-safety check on the copy's bed: exit code and output. */
  safetyCheck(): Promise<{ exitCode: number; all: string }>;
  /** `up ...args`, then the safety check; rejects with the output when either fails. */
  upSafely(...args: string[]): Promise<void>;
  /** `down` if the copy has a bed, then the copy is removed. */
  remove(): Promise<void>;
}

export function copyBed(name: string, timeoutMs = 1_500_000): BedCopy {
  const root = path.join(mkdtempSync(path.join(tmpdir(), `k8ssandra-bed-${name}-`)), 'repo');
  cpSync(testbedDir, path.join(root, 'testbed'), { recursive: true });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
  symlinkSync(path.join(repoRoot, 'src'), path.join(root, 'src'));
  writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
  const kubeconfig = path.join(root, '.testbed', 'kubeconfig');
  // Nothing of this run's own bed may leak in: no forced slot, no kubeconfig or cache of the shared bed. The
  // slot registry stays the machine's (the test run moves TMPDIR, where the registry would otherwise be).
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'TESTBED_SLOT_REGISTRY' || !/^(TESTBED_SLOT|KUBECONFIG|KUBECACHEDIR|K8SSANDRA_TESTBED_)/.test(k))),
    TESTBED_SAFETY_CHECK: safetyCheckPath,
  };
  const cli = async (...args: string[]) => {
    const r = await execa(process.execPath, ['--import', 'tsx', path.join(root, 'testbed', 'cli.ts'), ...args],
      { cwd: root, env, extendEnv: false, reject: false, all: true, timeout: timeoutMs });
    return { exitCode: r.exitCode ?? 1, all: r.all ?? '' };
  };
  return {
    root,
    kubeconfig,
    cli,
    async kubectl(context, ...args) {
      const r = await execa('kubectl', ['--kubeconfig', kubeconfig, '--context', context, ...args],
        { reject: false, env: { KUBECACHEDIR: path.join(root, '.testbed', 'kube-cache') } });
      if (r.exitCode !== 0) throw new Error(`kubectl --context ${context} ${args.join(' ')} (bed ${name}): ${r.stderr || r.stdout}`);
      return { stdout: r.stdout, stderr: r.stderr };
    },
    async safetyCheck() {
      const r = await execa(safetyCheckPath, [kubeconfig], { reject: false, all: true });
      return { exitCode: r.exitCode ?? 1, all: r.all ?? '' };
    },
    async upSafely(...args) {
      const up = await cli('up', ...args);
      if (up.exitCode !== 0) throw new Error(`bed ${name}: up ${args.join(' ')}: exit ${up.exitCode}\n${up.all}`);
      const safety = await execa(safetyCheckPath, [kubeconfig], { reject: false, all: true });
      if (safety.exitCode !== 0) throw new Error(`bed ${name}: the safety check failed (exit ${safety.exitCode})\n${safety.all}`);
    },
    async remove() {
      if (existsSync(path.join(root, '.testbed'))) await cli('down');
      rmSync(path.dirname(root), { recursive: true, force: true });
    },
  };
}
