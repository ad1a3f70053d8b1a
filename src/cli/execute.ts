import { CliError, ExitCode, isCliError } from '../errors.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../report/model.js';
import { newReport, type ReportDraft } from '../run/report.js';
import type { Reporter } from '../ui/reporter.js';
import { createInterrupt, interruptedError, onProcessSignals, type Interrupt } from '../util/interrupt.js';
import type { GlobalOptions, Io } from './host.js';

/**
 * Runs one flow with its reporter and renders its report: one document on stdout, progress on
 * stderr, the exit code from the outcome. A flow that throws still reports what it found.
 * Ctrl-C (or SIGTERM) aborts the flow's requests and waits through `interrupt`; the flow stops at
 * the next safe point and the command exits with ExitCode.interrupted after reporting.
 */
export async function execute(command: string, g: GlobalOptions, io: Io,
  flow: (ui: Reporter, report: ReportDraft, interrupt: Interrupt) => Promise<void>): Promise<number> {
  const started = Date.now();
  // Loaded here, not at the top: --help and --version should not pay for them.
  const [{ createReporter }, { renderReport }, { toCliError, ApiError, ConnectError }] = await Promise.all([
    import('../ui/reporter.js'), import('../report/render.js'), import('../kube/client.js')]);
  const ui = createReporter({ quiet: g.quiet, verbose: g.verbose, stream: io.stderr, env: io.env });
  const out = newReport(command);
  const interrupt = createInterrupt();
  const release = onProcessSignals(interrupt);
  let error: CliError | undefined;
  try {
    await flow(ui, out, interrupt);
  } catch (e) {
    const prompt = e instanceof Error && e.name === 'ExitPromptError'; // Ctrl-C at a prompt (raw mode: no SIGINT)
    // After Ctrl-C any failure is the interruption surfacing through an aborted request or wait, unless
    // the flow said what it stopped (status --watch: the last round is the report).
    const stopped = isCliError(e) && e.exit === 'interrupted';
    error = interrupt.signal.aborted && !stopped ? (interrupt.signal.reason as CliError) : prompt ? interruptedError('SIGINT') : toCliError(e, command);
    // A stack only for what is a bug of ours (with --verbose): API and connection errors are expected.
    const expected = isCliError(e) || e instanceof ApiError || e instanceof ConnectError || interrupt.signal.aborted;
    if (g.verbose && !expected && e instanceof Error && e.stack) ui.verbose(e.stack);
  } finally {
    release();
  }
  const exitCode = error ? ExitCode[error.exit] : out.ok ? ExitCode.ok : ExitCode[out.failExit ?? 'notReady'];
  const { failExit: _, ...draft } = out;
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION, ...draft, ok: !error && out.ok, exitCode,
    ...(error ? { error: { message: error.message, hint: error.hint, exit: error.exit } } : {}),
    elapsedMs: Date.now() - started,
  };
  if (g.output === 'text' && error && !out.clusters.length && !out.checks.length && !out.datacenter) {
    // Nothing to show but the error: one line and its hint, on stderr.
    io.stderr.write(`${ui.style.fail('error:')} ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
  } else if (!(g.quiet && g.output === 'text' && !error)) {
    io.stdout.write(renderReport(report, g.output, ui.style));
  }
  return exitCode;
}
