import type { Ora } from 'ora';
import { colorEnabled, styler, type Styler } from './style.js';

export interface StepHandle {
  /** A line under the step (a cluster finished, a warning). */
  note(line: string): void;
  /** Replaces the step's live status text (spinner only). */
  update(text: string): void;
}

/**
 * Progress for people, always on stderr: a spinner per step on a terminal, plain lines otherwise
 * (CI logs), nothing with --quiet. Data goes to stdout elsewhere; nothing here prints secrets,
 * since callers pass names and counts only.
 */
export interface Reporter {
  step<T>(title: string, fn: (s: StepHandle) => Promise<T>): Promise<T>;
  info(line: string): void;
  warn(line: string): void;
  verbose(line: string): void;
  /**
   * Lends the terminal to another program while `fn` runs (a credential plugin that prompts or prints a
   * device code): the spinner stops, so that its redraws neither erase a prompt nor mix with the output.
   */
  aside<T>(fn: () => Promise<T>): Promise<T>;
  readonly style: Styler;
}

export interface ReporterOptions { quiet?: boolean; verbose?: boolean; stream: NodeJS.WriteStream; env: NodeJS.ProcessEnv }

export function createReporter(opts: ReporterOptions): Reporter {
  const stream = opts.stream;
  const style = styler(colorEnabled(stream, opts.env));
  const write = (line: string) => { if (!opts.quiet) stream.write(line + '\n'); };
  // Spinners redraw with escape codes: only on a terminal that allows colour (NO_COLOR, TERM=dumb and CI get plain lines).
  // (A pseudo-terminal without a size reports 0 columns, which sends ora's redraw into an endless loop.)
  const interactive = colorEnabled(stream, opts.env) && !opts.quiet && !opts.env.CI && (stream.columns ?? 0) > 0;
  let spinner: Ora | undefined;

  let lent = 0;
  const lineAbove = (line: string) => {
    if (spinner?.isSpinning) { spinner.clear(); write(line); spinner.render(); } else write(line);
  };

  return {
    style,
    info: (line) => lineAbove(line),
    warn: (line) => lineAbove(`${style.mark.warn} ${line}`),
    verbose: (line) => { if (opts.verbose) lineAbove(style.dim(line)); },
    async aside(fn) {
      if (lent++ === 0) spinner?.stop();
      try {
        return await fn();
      } finally {
        if (--lent === 0 && spinner && !spinner.isSpinning) spinner.start();
      }
    },
    async step(title, fn) {
      const started = Date.now();
      const took = () => style.dim(`(${((Date.now() - started) / 1000).toFixed(1)}s)`);
      if (interactive) {
        const { default: ora } = await import('ora');
        // discardStdin off: ora's raw mode swallows Ctrl-C (its discarder never reads stdin here), and
        // Ctrl-C must reach our SIGINT handler, which stops the command cleanly. isEnabled: the choice
        // above is ours (made from the env we were given); ora would read process.env.CI again.
        spinner = ora({ text: title, stream, discardStdin: false, isEnabled: true }).start();
      } else {
        write(`• ${title}`);
      }
      const handle: StepHandle = {
        note: (line) => lineAbove(`  ${line}`),
        update: (text) => { if (spinner) spinner.text = `${title} ${style.dim(text)}`; },
      };
      try {
        const result = await fn(handle);
        if (spinner) spinner.stopAndPersist({ symbol: style.mark.pass, text: `${title} ${took()}` });
        else write(`${style.mark.pass} ${title} ${took()}`);
        return result;
      } catch (e) {
        // The error itself is printed once, at the end, with its hint.
        if (spinner) spinner.stopAndPersist({ symbol: style.mark.fail, text: `${title} ${took()}` });
        else write(`${style.mark.fail} ${title} ${took()}`);
        throw e;
      } finally {
        spinner = undefined;
      }
    },
  };
}
