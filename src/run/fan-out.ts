import pLimit from 'p-limit';
import { CliError, ExitCode } from '../errors.js';
import { toCliError } from '../kube/client.js';
import type { Target } from './target.js';
import { contextOf } from './target.js';

/**
 * At most this many clusters are worked on at once: gentle on the client and, on a machine whose API
 * servers share its CPUs (the test bed), on them. All ten at once made some CRD writes of a fresh
 * install of ten clusters wait past the request timeout on the 2-core bed.
 */
export const FAN_OUT_CAP = 8;

/**
 * Runs `work` for every target, at most FAN_OUT_CAP at once, and waits for all of them: a failure in
 * one cluster does not cut the others short, so each one's outcome is known and reported. When any
 * failed, each failed target records why, and one error names every failed context (its exit code is
 * the most severe of theirs); the caller's next step does not start, so no new writes begin.
 */
export async function forEachCluster<T extends Target>(step: string, targets: T[], work: (t: T) => Promise<void>): Promise<void> {
  const limit = pLimit(FAN_OUT_CAP);
  const settled = await Promise.allSettled(targets.map((t) => limit(() => work(t))));
  const failures = settled.flatMap((r, i) => (r.status === 'rejected' ? [{ target: targets[i]!, error: toCliError(r.reason, contextOf(targets[i]!)) }] : []));
  if (!failures.length) return;
  // Ctrl-C is the command's, not a cluster's: the clusters it cut short were stopped, and it is the error.
  const interrupted = failures.find((f) => f.error.exit === 'interrupted');
  for (const f of failures.filter((x) => x.error.exit !== 'interrupted')) f.target.failed = { step, message: withoutContext(f.error.message, contextOf(f.target)) };
  if (interrupted) throw interrupted.error;
  if (failures.length === 1) throw failures[0]!.error;
  // Timeouts first: they say why the others failed too.
  const first = [...failures].sort((a, b) => severity(a.error) - severity(b.error))[0]!.error;
  throw new CliError(first.exit, `${failures.length} of ${targets.length} clusters failed: ${failures.map((f) => `${contextOf(f.target)}: ${f.target.failed!.message}`).join('; ')}`,
    { hint: first.hint, cause: first });
}

const severity = (e: CliError) => (e.exit === 'timeout' ? 1 : 2 + ExitCode[e.exit] / 1000);

/** "dp2: context dp2: connection refused" reads badly: the context is said once, in front. */
const withoutContext = (message: string, context: string) => message.replace(new RegExp(`^${context}: (context ${context}: )?`), '');
