import type { Command, Option } from 'commander';
import type { ExecPlugins } from '../kube/exec-plugin.js';
import type { OutputFormat } from '../report/render.js';
import type { ReportDraft } from '../run/report.js';
import type { Reporter } from '../ui/reporter.js';
import type { Interrupt } from '../util/interrupt.js';

/**
 * The process as the CLI sees it: streams and environment, passed in (bin/k8ssandra.js gives the real
 * ones, tests their own), so that no layer reads process.env or writes to process.stdout itself.
 */
export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions { output: OutputFormat; quiet?: boolean; verbose?: boolean; input: boolean; yes?: boolean; requestTimeoutMs?: number }

/** What each command's definition is given: the I/O, the global flags once parsed, and where its exit code goes. */
export interface CommandHost {
  readonly io: Io;
  globals(): GlobalOptions & { kubeconfig?: string };
  setExit(code: number): void;
  /** The command's exec credential plugins: our terminal lent to them (the spinner stopped) unless --no-input. */
  plugins(g: GlobalOptions, ui: Reporter): ExecPlugins;
  /** Adds a command with its summary, description, examples and flags. */
  command(name: string, summary: string, description: string, options: Option[]): Command;
  /** A command's action: runs `flow` with a reporter and a report, renders the report, sets the exit code. */
  action(name: string, flow: (opts: any, g: GlobalOptions & { kubeconfig?: string }, ui: Reporter, report: ReportDraft, interrupt: Interrupt) => Promise<void>):
    (opts: any) => Promise<void>;
}
