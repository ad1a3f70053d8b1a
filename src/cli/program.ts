import { Command, Help, Option } from 'commander';
import { usageError } from '../errors.js';
import { ExecPlugins } from '../kube/exec-plugin.js';
import type { Reporter } from '../ui/reporter.js';
import { version } from '../version.js';
import { defineAddDc } from './commands/add-dc.js';
import { defineCheck } from './commands/check.js';
import { defineExport } from './commands/export.js';
import { defineInstall } from './commands/install.js';
import { defineMoveControlPlane } from './commands/move-control-plane.js';
import { defineRegister } from './commands/register.js';
import { defineRemoveDc } from './commands/remove-dc.js';
import { defineRender } from './commands/render.js';
import { defineStatus } from './commands/status.js';
import { defineUninstall } from './commands/uninstall.js';
import { defineUpgrade } from './commands/upgrade.js';
import { EXAMPLES } from './examples.js';
import { execute } from './execute.js';
import type { CommandHost, GlobalOptions, Io } from './host.js';
import { durationFlag } from './parse.js';

/** commander wiring only: the global flags, then one file per command (cli/commands/) that calls one flow. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const help = new Help();
  const program = new Command('k8ssandra')
    .description('Install and operate the K8ssandra operator across several Kubernetes clusters at once')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    // Global options under each command's own; "(default: false)" says nothing about a switch.
    .configureHelp({ showGlobalOptions: true, optionDescription: (o) => help.optionDescription(o).replace(/ \(default: false\)$/, '') })
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)'))
    .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json', 'yaml']).default('text'))
    .addOption(new Option('-q, --quiet', 'no progress on stderr'))
    .addOption(new Option('-v, --verbose', 'print every API request (method, path, status; never credentials)'))
    .addOption(new Option('-y, --yes', 'answer yes to confirmations'))
    .addOption(new Option('--no-input', 'never prompt, even on a terminal'))
    .addOption(new Option('--request-timeout <duration>',
      'give up on one API request after this long; 0: no limit (default: 30s, retried while --timeout allows; status: 5s, no retry)'))
    .addHelpText('after', EXAMPLES.program);

  const globals = (): GlobalOptions & { kubeconfig?: string } => {
    const g = program.opts();
    return { output: g.output, quiet: g.quiet, verbose: g.verbose, input: g.input, yes: g.yes, kubeconfig: g.kubeconfig,
      requestTimeoutMs: g.requestTimeout === undefined ? undefined : durationFlag('--request-timeout', g.requestTimeout, { zeroIsNone: true }) * 1000 };
  };
  const command = (name: string, summary: string, description: string, options: Option[]) => {
    const c = program.command(name).summary(summary).description(description).addHelpText('after', EXAMPLES[name as keyof typeof EXAMPLES]);
    for (const o of options) c.addOption(o);
    return c;
  };
  const action: CommandHost['action'] = (name, flow) => async (opts) => {
    const g = globals();
    setExit(await execute(name, g, io, (ui, report, interrupt) => flow(opts, g, ui, report, interrupt)));
  };
  let plugins: ExecPlugins | undefined;
  const execPlugins = (g: GlobalOptions, ui: Reporter) => plugins ??= new ExecPlugins({ env: io.env, stdin: io.stdin, stderr: io.stderr,
    stdinUnavailable: g.input ? undefined : '--no-input was given', aside: (fn) => ui.aside(fn) });
  const host: CommandHost = { io, globals, setExit, command, action, plugins: execPlugins };

  defineInstall(host);
  defineRegister(host);
  defineUninstall(host);
  defineUpgrade(host);
  defineCheck(host);
  defineStatus(host);
  defineAddDc(host);
  defineRemoveDc(host);
  defineRender(host);
  defineMoveControlPlane(host);
  defineExport(host);

  program.command('completion')
    .summary('print a shell completion script (bash, zsh or fish)')
    .description('Print a completion script for commands, flags and the kubeconfig\'s context names.')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', EXAMPLES.completion)
    .action(async (shell: string) => {
      if (!['bash', 'zsh', 'fish'].includes(shell)) throw usageError(`no completion for shell "${shell}"`, 'use bash, zsh or fish');
      const { completionScript } = await import('./completion.js');
      io.stdout.write(completionScript(program, shell as 'bash' | 'zsh' | 'fish'));
    });

  // For completion scripts: the contexts of the kubeconfig, one a line, quietly nothing on error.
  program.command('__contexts', { hidden: true }).action(async () => {
    const { kubeconfigFiles, loadKubeconfig } = await import('../kube/kubeconfig.js');
    try {
      io.stdout.write([...loadKubeconfig(kubeconfigFiles(globals().kubeconfig, io.env)).contexts.keys()].map((c) => c + '\n').join(''));
    } catch { /* nothing to complete */ }
  });

  return program;
}
