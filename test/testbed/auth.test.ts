// Authentication and authorization are real: a TokenRequest token authenticates as its service account,
// RBAC refuses what is not granted (403) and allows it once a RoleBinding grants it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { apply, createNamespace, deleteNamespace, kubectl, kubectlJson, uniqueName, waitFor } from '../helpers/bed.js';

const CONTEXT = 'dp2';
const ns = uniqueName('bed-auth');
const dir = mkdtempSync(join(tmpdir(), 'bed-auth-'));

/** A kubeconfig holding only the bearer token, so no client certificate can authenticate instead. */
async function tokenKubeconfig(token: string): Promise<string> {
  const config = await kubectlJson(CONTEXT, 'config', 'view', '--minify', '--raw');
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: config.clusters,
      users: [{ name: 'sa', user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: config.clusters[0].name, user: 'sa', namespace: ns } }],
      'current-context': 'sa',
    }),
  );
  return path;
}

async function asServiceAccount(kubeconfig: string, ...args: string[]) {
  return execa('kubectl', ['--kubeconfig', kubeconfig, ...args], { reject: false });
}

describe('service-account tokens and RBAC', () => {
  beforeAll(async () => {
    await createNamespace(CONTEXT, ns);
    await kubectl(CONTEXT, '-n', ns, 'create', 'serviceaccount', 'robot');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await deleteNamespace(CONTEXT, ns);
  });

  it('authenticates a TokenRequest token, refuses it what RBAC does not grant, then grants it', async () => {
    const token = await kubectl(CONTEXT, '-n', ns, 'create', 'token', 'robot', '--duration=10m');
    const kubeconfig = await tokenKubeconfig(token.trim());

    const whoami = await asServiceAccount(kubeconfig, 'auth', 'whoami', '-o', 'json');
    expect(whoami.exitCode).toBe(0);
    expect(JSON.parse(whoami.stdout).status.userInfo.username).toBe(`system:serviceaccount:${ns}:robot`);

    const refused = await asServiceAccount(kubeconfig, 'get', '--raw', `/api/v1/namespaces/${ns}/configmaps`);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('(Forbidden)'); // HTTP 403

    await apply(CONTEXT, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'robot-view', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: ns }],
    });
    const granted = await waitFor('the RoleBinding to take effect', async () => {
      const r = await asServiceAccount(kubeconfig, 'get', 'configmaps', '-o', 'name');
      return r.exitCode === 0 ? r.stdout : undefined;
    });
    expect(granted).toContain('configmap/kube-root-ca.crt');

    const stillRefused = await asServiceAccount(kubeconfig, 'get', 'secrets');
    expect(stillRefused.stderr).toContain('(Forbidden)');
  });

  it('refuses a forged token', async () => {
    const kubeconfig = await tokenKubeconfig('not-a-real-token');
    const r = await asServiceAccount(kubeconfig, 'auth', 'whoami');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('Unauthorized');
  });
});
