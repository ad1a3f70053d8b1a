// Exec credential plugins (EKS `aws eks get-token`, GKE `gke-gcloud-auth-plugin`, AKS `kubelogin`, OIDC
// helpers), run the way kubectl runs them (client-go plugin/pkg/client/auth/exec): one run at a time
// per plugin configuration, its credential kept until it expires (or, without an expiry, until the
// API server rejects it), the plugin's stderr passed through, our stdin lent when it may prompt.
import path from 'node:path';
import { CliError } from '../errors.js';
import { clusterInfo, execConfig, execInfo, interactivity, readExecCredential, type ExecConfig, type PluginCredential } from './exec-credential.js';

type Raw = Record<string, any>;

/** What a plugin may use of our process. */
export interface PluginHost {
  /** The environment the plugin inherits (the host's, never process.env directly). */
  env: NodeJS.ProcessEnv;
  /** Lent to a plugin that may prompt, when it is a terminal. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; fd?: number };
  /** Where the plugin's stderr goes (login prompts, device codes); dropped when absent. */
  stderr?: { write(chunk: string | Uint8Array): unknown };
  /** Why stdin must not be lent even on a terminal (--no-input). */
  stdinUnavailable?: string;
  /** Runs a plugin with the terminal to itself (our spinner stopped meanwhile). */
  aside?: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** How long one run may take, and what stops it. */
export interface RunBound {
  /** The request's timeout (Infinity: none); a plugin that has our terminal may take until the deadline. */
  timeoutMs: number;
  /** The command's deadline, ms since the epoch (Infinity: none). */
  deadline: number;
  signal?: AbortSignal;
}

/** A plugin failure: one line for the error, and what to do about it. */
export class PluginError extends Error {
  constructor(message: string, readonly hint?: string, /** Stopped by the command's deadline rather than the request's timeout. */ readonly atDeadline = false) {
    super(message);
    this.name = 'PluginError';
  }
}

/**
 * The exec plugins of one command run: contexts whose users have the same exec section (and, when
 * the plugin asks for cluster info, the same cluster) share one plugin and its credential, as in
 * client-go, so that a command over many contexts runs `aws eks get-token` once, not per request.
 */
export class ExecPlugins {
  private readonly plugins = new Map<string, ExecPlugin>();

  constructor(private readonly host: PluginHost, private readonly now: () => number = Date.now) {}

  /** The plugin of a context's user, or a usage error when kubectl would refuse its exec section. */
  for(context: string, exec: Raw, cluster: Raw, caData: Buffer | undefined): ExecPlugin {
    const config = execConfig(exec);
    if (typeof config === 'string') {
      throw new CliError('usage', `context ${context}: ${config}`, { context, hint: 'fix users[].user.exec in the kubeconfig (kubectl refuses it too)' });
    }
    const info = config.provideClusterInfo ? clusterInfo(cluster, caData) : undefined;
    const key = JSON.stringify([exec, info]);
    let plugin = this.plugins.get(key);
    if (!plugin) this.plugins.set(key, plugin = new ExecPlugin(config, info, this.host, this.now));
    return plugin;
  }
}

export class ExecPlugin {
  private cached?: PluginCredential;
  private running?: Promise<PluginCredential>;

  constructor(private readonly config: ExecConfig, private readonly cluster: Raw | undefined,
    private readonly host: PluginHost, private readonly now: () => number) {}

  /** The credential: the cached one until it expires, else one run shared by every caller meanwhile. */
  current(bound: RunBound): Promise<PluginCredential> {
    const c = this.cached;
    if (c && (c.expiresAt === undefined || this.now() < c.expiresAt)) return Promise.resolve(c);
    return this.running ??= this.run(bound)
      .then((fresh) => (this.cached = fresh))
      .finally(() => { this.running = undefined; });
  }

  /** The API server rejected `used`: the next caller runs the plugin again (unless a run replaced it already). */
  rejected(used: PluginCredential): void {
    if (this.cached === used) this.cached = undefined;
  }

  private async run(bound: RunBound): Promise<PluginCredential> {
    const { config, host } = this;
    const name = path.basename(config.command);
    const interactive = interactivity(config.interactiveMode, { terminal: host.stdin?.isTTY === true, unavailable: host.stdinUnavailable });
    if (typeof interactive === 'string') {
      throw new PluginError(interactive, 'run the command on a terminal without --no-input, or log in with the plugin first');
    }
    // A plugin that prompts waits for a person: only the command's deadline bounds it.
    const left = bound.deadline - Date.now();
    const timeoutMs = Math.min(interactive ? Infinity : bound.timeoutMs, left);
    if (timeoutMs <= 0) throw new PluginError(`no time left to run the exec plugin ${name} before the deadline`, undefined, true);
    const { execa } = await import('execa');
    const r = await (host.aside ?? ((fn) => fn()))(() => this.spawn(execa, interactive, timeoutMs, bound.signal));
    if (r.isCanceled && bound.signal?.aborted) throw bound.signal.reason;
    if (r.code === 'ENOENT') {
      throw new PluginError(`exec plugin ${config.command} not found`,
        config.installHint?.trim() || 'install it, or fix users[].user.exec.command in the kubeconfig (a name is looked up in PATH)');
    }
    if (r.timedOut) {
      const atDeadline = timeoutMs === left;
      throw new PluginError(atDeadline ? `the exec plugin ${name} was still running at the deadline (stopped it)`
        : `the exec plugin ${name} gave no credentials within ${timeoutMs} ms (stopped it)`, undefined, atDeadline);
    }
    if (r.failed) {
      const how = r.exitCode !== undefined ? `exited with code ${r.exitCode}` : `failed (${r.code ?? r.signal ?? 'no exit code'})`;
      throw new PluginError(r.lastLine ? `${r.lastLine} (exec plugin ${name} ${how})` : `exec plugin ${name} ${how}`);
    }
    const cred = readExecCredential(r.stdout, config.apiVersion);
    if (typeof cred === 'string') throw new PluginError(`${cred} (exec plugin ${name})`);
    return cred;
  }

  /** Runs the plugin once: its stderr passed through (the last line kept for an error), our stdin lent when interactive. */
  private async spawn(execa: typeof import('execa').execa, interactive: boolean, timeoutMs: number, signal?: AbortSignal) {
    const { config, host } = this;
    const env = { ...host.env, ...Object.fromEntries(config.env.map((e) => [e.name, e.value])),
      KUBERNETES_EXEC_INFO: execInfo(config, interactive, this.cluster) };
    const child = execa(config.command, config.args, {
      env, extendEnv: false, reject: false, stripFinalNewline: false,
      // Our terminal itself (a password prompt needs the tty), a stream piped in (tests), else nothing.
      stdin: !interactive || !host.stdin ? 'ignore' : typeof host.stdin.fd === 'number' ? host.stdin.fd as never : 'pipe',
      timeout: Number.isFinite(timeoutMs) ? timeoutMs : undefined, cancelSignal: signal, forceKillAfterDelay: 2000,
    });
    const piped = interactive && host.stdin && typeof host.stdin.fd !== 'number' ? host.stdin : undefined;
    if (piped && child.stdin) piped.pipe(child.stdin);
    let tail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      host.stderr?.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4096);
    });
    const r = await child;
    if (piped && child.stdin) piped.unpipe(child.stdin);
    const lastLine = tail.split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
    return { ...r, stdout: String(r.stdout), lastLine };
  }
}
