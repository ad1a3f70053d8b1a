import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { connect } from '../kube/connect.js';
import { readInstallRecords } from '../kube/install-record.js';
import { readControlPlaneObjects, readSecrets } from '../kube/move.js';
import { findOperators } from '../kube/operators.js';
import { buildExport, parseExport, renderExport, type ControlPlaneExport } from '../plan/export.js';
import { secretsToMove } from '../plan/move.js';
import { connectedRun, type ConnectedRun } from '../run/operator-run.js';
import type { ReportDraft } from '../run/report.js';
import { runSteps, type Step } from '../run/steps.js';
import { newTarget } from '../run/target.js';
import type { Reporter } from '../ui/reporter.js';
import type { Interrupt } from '../util/interrupt.js';

export interface ExportOptions {
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
  /** The control plane's context. */
  context: string;
  namespace: string;
  /** Where the export goes. */
  file: string;
  timeoutMs: number;
  interrupt?: Interrupt;
  requestTimeoutMs?: number;
}

interface ExportRun extends ConnectedRun { exported?: ControlPlaneExport }

/**
 * `export`: reads what a move needs from a control plane (K8ssandraClusters, ReplicatedSecrets and
 * K8ssandraTasks with their status, the ClientConfigs' names and contexts, the names of the Secrets
 * they use, its install record) and writes it to a file. It reads only and writes no Secret data.
 */
const exportSteps = (o: ExportOptions): Step<ExportRun>[] => [
  {
    title: `Read the control plane ${o.context}`,
    async run(ctx, s) {
      const [cluster] = await connect({ ...ctx.connection, contexts: [o.context] });
      const t = newTarget(cluster!, 'control-plane');
      ctx.targets = [t];
      const { client } = cluster!;
      const [ops, objects, secrets, records] = await Promise.all([findOperators(client), readControlPlaneObjects(client, ctx.namespace),
        readSecrets(client, ctx.namespace), readInstallRecords([cluster!], ctx.namespace)]);
      const op = ops.find((x) => x.namespace === ctx.namespace);
      if (op?.mode !== 'control-plane') {
        throw new CliError('usage', `context ${o.context} does not run the k8ssandra-operator control plane in namespace ${ctx.namespace}`,
          { context: o.context, hint: 'pass the control plane\'s context with --context (and its namespace with -n)' });
      }
      t.operatorVersion = op.version;
      t.ready = true;
      const names = new Set(secretsToMove(objects, secrets));
      ctx.exported = buildExport({ context: o.context, namespace: ctx.namespace, now: new Date(), record: records.get(o.context), objects,
        secrets: secrets.filter((x) => names.has(x.metadata.name)).map((x) => ({ name: x.metadata.name, labels: x.metadata.labels })) });
      s.note(`${objects.k8ssandraClusters.length} K8ssandraCluster(s), ${objects.replicatedSecrets.length} ReplicatedSecret(s), ${objects.k8ssandraTasks.length} K8ssandraTask(s), `
        + `${objects.clientConfigs.length} ClientConfig(s) (names only), ${names.size} Secret(s) (names only)`);
    },
  },
  {
    title: `Write ${o.file}`,
    async run(ctx, s) {
      const e = ctx.exported!;
      writeExport(o.file, renderExport(e));
      const unreplicated = e.secrets.filter((x) => !x.replicatedTo.length).map((x) => x.name);
      s.note(unreplicated.length ? `no data plane holds a replica of ${unreplicated.join(', ')}: keep a copy of them elsewhere (a secret store)` : 'every Secret has a replica in a data plane');
      ctx.report.export = { file: path.resolve(o.file), context: e.context, exportedAt: e.exportedAt,
        k8ssandraClusters: e.objects.k8ssandraClusters.map((k) => `${k.metadata.namespace}/${k.metadata.name}`),
        secrets: e.secrets.map((x) => x.name), unreplicatedSecrets: unreplicated };
      ctx.report.summary = `exported ${e.objects.k8ssandraClusters.length} K8ssandraCluster(s) of ${e.context} to ${o.file} (no Secret data)`;
      ctx.report.ok = true;
    },
  },
];

export async function runExport(o: ExportOptions, ui: Reporter, report: ReportDraft): Promise<void> {
  const ctx: ExportRun = connectedRun({ ...o, contexts: [o.context], dryRun: false, force: false, wait: false }, ui, report);
  await runSteps(ctx, exportSteps(o));
}

/** Written whole or not at all (a temporary file renamed), readable by its owner only. */
function writeExport(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

export function readExport(file: string): ControlPlaneExport {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { throw new CliError('usage', `--from-export ${file} cannot be read`, { hint: 'pass a file written by k8ssandra export' }); }
  return parseExport(text, file);
}
