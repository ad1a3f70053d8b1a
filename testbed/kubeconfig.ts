// The bed's one kubeconfig, .testbed/kubeconfig, built from kwokctl's per-cluster admin kubeconfigs.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { loadContexts } from './kube.js';
import { clusterKubeconfig } from './kwokctl.js';
import { kubeconfigPath, stateDir } from './paths.js';
import { kwokClusterName } from './topology.js';

/** Writes .testbed/kubeconfig: contexts cp, dp1, ... (cp first and current), credentials embedded. */
export function writeKubeconfig(contexts: string[]): void {
  const encode = (b: Buffer | undefined) => b?.toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': contexts[0],
    clusters: [] as unknown[],
    users: [] as unknown[],
    contexts: [] as unknown[],
  };
  for (const context of contexts) {
    const admin = loadContexts(clusterKubeconfig(context))[0]!;
    const clusterName = kwokClusterName(context);
    const userName = `${clusterName}-admin`;
    doc.clusters.push({ name: clusterName, cluster: { server: admin.server, 'certificate-authority-data': encode(admin.ca) } });
    doc.users.push({ name: userName, user: { 'client-certificate-data': encode(admin.cert), 'client-key-data': encode(admin.key) } });
    doc.contexts.push({ name: context, context: { cluster: clusterName, user: userName } });
  }
  mkdirSync(stateDir, { recursive: true });
  const tmp = `${kubeconfigPath}.tmp`;
  writeFileSync(tmp, stringify(doc), { mode: 0o600 });
  renameSync(tmp, kubeconfigPath); // atomic: the agent and tests never read half a file
}
