// Pods that admission refuses or that cannot be scheduled (issue 16), on the test bed:
// - dp1's operator namespace labelled pod-security `restricted` (Pod Security Admission is on in the bed's
//   API servers): install fails in preflight (POD-ADMISSION, exit 3) quoting PodSecurity, and writes nothing
//   anywhere;
// - dp2's only node tainted NoSchedule (the bed's real kube-scheduler then marks pods Unschedulable): the
//   install's wait fails as soon as that is certain, naming Unschedulable, well before --timeout; status says
//   the same.
// The file sets both conditions up itself and restores the namespace and the node after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, kubectl, kubectlJson } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra } from '../helpers/cli.js';

const NS = 'k8ssandra-operator';
const CONTEXTS = ['cp', 'dp1', 'dp2'];
const ENFORCE = 'pod-security.kubernetes.io/enforce';
const TAINT_KEY = 'k8ssandra.io/e2e-admission';
const OPERATORS = ['control-plane=k8ssandra-operator', 'app.kubernetes.io/name=cass-operator'];

/** Every Deployment of a cluster, as namespace/name. */
const allDeployments = async (ctx: string) =>
  (await kubectl(ctx, 'get', 'deployments', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}'))
    .split('\n').filter(Boolean).sort();
const namespaces = async (ctx: string) => (await kubectl(ctx, 'get', 'namespaces', '-o', 'name')).split('\n').filter(Boolean).sort();
const dp2Node = async () => (await kubectl('dp2', 'get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}')).trim();

/** The operators' Deployments, wherever an earlier file left them: preflight must find no existing install. */
async function removeOperators(ctx: string) {
  for (const selector of OPERATORS) await kubectl(ctx, 'delete', 'deployments', '-A', '-l', selector, '--ignore-not-found', '--wait=true');
}

let dp1NamespaceExisted = false;
let dp1EnforceBefore: string | undefined;

describe('pods that admission refuses or that cannot be scheduled', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    await Promise.all(CONTEXTS.map(removeOperators));
    const ns = await kubectlJson('dp1', 'get', 'namespace', NS, '--ignore-not-found').catch(() => undefined);
    dp1NamespaceExisted = !!ns;
    dp1EnforceBefore = ns?.metadata?.labels?.[ENFORCE];
    // Created with the label first (or labelled, when an earlier file left the namespace).
    await apply('dp1', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { [ENFORCE]: 'restricted' } } });
  });

  afterAll(async () => {
    // Gone before the next file starts: a namespace still Terminating keeps its restricted label, and the next install's pods would be refused.
    if (!dp1NamespaceExisted) await kubectl('dp1', 'delete', 'namespace', NS, '--wait=true', '--timeout=120s', '--ignore-not-found');
    else if (dp1EnforceBefore) await kubectl('dp1', 'label', 'namespace', NS, `${ENFORCE}=${dp1EnforceBefore}`, '--overwrite');
    else await kubectl('dp1', 'label', 'namespace', NS, `${ENFORCE}-`);
    const node = await dp2Node();
    await kubectl('dp2', 'taint', 'node', node, `${TAINT_KEY}-`).catch((e: Error) => { if (!/not found/.test(e.message)) throw e; });
  });

  it('the bed enforces Pod Security Admission: kubectl\'s own server-side dry run of a pod is refused in dp1', async () => {
    const err = await kubectl('dp1', '-n', NS, 'run', 'psa-probe', '--image=k8ssandra/k8ssandra-operator:v1.32.5', '--dry-run=server')
      .then(() => '', (e: Error) => e.message);
    expect(err).toMatch(/violates PodSecurity "restricted:latest"/);
  });

  it('a namespace labelled restricted fails preflight with POD-ADMISSION (exit 3), and nothing is installed anywhere', async () => {
    const deploymentsBefore = await Promise.all(CONTEXTS.map(allDeployments));
    const namespacesBefore = await Promise.all(CONTEXTS.map(namespaces));

    const r = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '--timeout', '2m', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(3);
    const report = r.json();
    const admission = report.checks.filter((c: any) => c.id === 'POD-ADMISSION');
    const refused = admission.filter((c: any) => c.status === 'fail');
    expect(refused.map((c: any) => c.context)).toEqual(['dp1']);
    expect(refused[0].message).toMatch(/k8ssandra-operator.*violates PodSecurity "restricted:latest"/);
    expect(refused[0].hint).toMatch(/pod-security\.kubernetes\.io\/enforce=restricted/);
    expect(refused[0].hint).toMatch(/baseline/);
    expect(admission.filter((c: any) => c.status === 'pass').map((c: any) => c.context).sort()).toEqual(['cp', 'dp2']);
    expect(report.error).toMatchObject({ exit: 'checksFailed', message: expect.stringMatching(/PodSecurity/) });

    // Nothing written: the same Deployments and namespaces as before, in every cluster, and no operator.
    expect(await Promise.all(CONTEXTS.map(allDeployments))).toEqual(deploymentsBefore);
    expect(await Promise.all(CONTEXTS.map(namespaces))).toEqual(namespacesBefore);
    for (const ctx of CONTEXTS) expect((await allDeployments(ctx)).filter((d) => /k8ssandra-operator|cass-operator/.test(d)), ctx).toEqual([]);

    // Text: the finding as preflight runs (stderr), then the report's finding with its hint, and the error (stdout); no stack.
    const text = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags]);
    expect(text.exitCode).toBe(3);
    expect(text.stderr).toMatch(/\[POD-ADMISSION\] dp1: .*PodSecurity/);
    expect(text.stdout).toMatch(/^ +FAIL \[POD-ADMISSION\] dp1: the pod of Deployment k8ssandra-operator\/k8ssandra-operator would be refused: .*PodSecurity/m);
    expect(text.stdout).toMatch(/^ +hint: namespace k8ssandra-operator enforces Pod Security "restricted"/m);
    expect(text.stdout).toMatch(/^error: 1 preflight check\(s\) failed: .*PodSecurity/m);
    expect(text.stdout + text.stderr).not.toMatch(/\n\s+at /);
  });

  it('a tainted node: the install\'s wait fails fast naming Unschedulable, and status says why', async () => {
    // Installed while the node takes pods; then tainted, and the operator pods replaced (as after a node drain).
    const first = await k8ssandra(['install', '--contexts', 'cp,dp2', ...bedInstallFlags, '-o', 'json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const node = await dp2Node();
    await kubectl('dp2', 'taint', 'node', node, `${TAINT_KEY}=yes:NoSchedule`, '--overwrite');
    await kubectl('dp2', '-n', NS, 'delete', 'pods', '--all', '--wait=false');

    const started = Date.now();
    const r = await k8ssandra(['install', '--contexts', 'cp,dp2', ...bedInstallFlags, '--timeout', '2m', '-o', 'json']);
    const took = Date.now() - started;
    expect(r.exitCode, r.stderr).toBe(5);
    expect(took).toBeLessThan(100_000); // --timeout is 120 s
    const error = r.json().error;
    expect(error.message).toMatch(/^dp2: Deployment k8ssandra-operator\/(k8ssandra-operator|cass-operator-controller-manager) .*Unschedulable/);
    expect(error.message).toMatch(/Unschedulable: 0\/1 nodes are available: 1 node\(s\) had untolerated taint/); // the scheduler (1.34) names no key
    expect(error.hint).toMatch(/taint|toleration/);

    // The bed's real kube-scheduler marked the pods so (kubectl as the independent checker).
    const pods = await kubectlJson('dp2', '-n', NS, 'get', 'pods');
    const unschedulable = pods.items.filter((p: any) =>
      p.status?.conditions?.some((c: any) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable'));
    expect(unschedulable.length).toBeGreaterThan(0);

    // status: installed but not available, and why.
    const s = await k8ssandra(['status', '--contexts', 'cp,dp2', '-o', 'json']);
    expect(s.exitCode, s.stderr).toBe(5);
    const notReady = s.json().checks.find((c: any) => c.id === 'STATUS-OPERATOR-NOT-READY' && c.context === 'dp2');
    expect(notReady).toMatchObject({ status: 'fail', message: expect.stringMatching(/Unschedulable/), hint: expect.stringMatching(/taint|toleration/) });
  });
});
