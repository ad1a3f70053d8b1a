// The command line's exec plugins: one ExecPlugins per command (cli/program.ts), with the process's
// stderr: two contexts of one user cost one plugin run, and what the plugin says on stderr reaches ours.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { k8ssandra } from '../helpers/cli.js';
import { apiServerPerFile } from '../helpers/tls-api-server.js';

const { pki, server } = apiServerPerFile('exec-plugin-cli-');

describe('exec plugins from the command line', () => {
  it('status over two contexts of one user runs the plugin once and passes its stderr through', async () => {
    const dir = pki().dir;
    const log = path.join(dir, 'runs.log');
    const plugin = path.join(dir, 'plugin.cjs');
    writeFileSync(plugin, `#!/usr/bin/env node
require('node:fs').appendFileSync(${JSON.stringify(log)}, 'run\\n');
process.stderr.write('plugin: logged in\\n');
console.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'tok' } }));
`);
    chmodSync(plugin, 0o755);
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config',
      clusters: [{ name: 'k', cluster: { server: server().url, 'certificate-authority': pki().file('ca.crt') } }],
      users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } } }],
      contexts: [{ name: 'c1', context: { cluster: 'k', user: 'u' } }, { name: 'c2', context: { cluster: 'k', user: 'u' } }] }));
    const r = await k8ssandra(['status', '--contexts', 'c1,c2', '-o', 'json'], { kubeconfig });
    expect(readFileSync(log, 'utf8')).toBe('run\n');
    expect(r.stderr.match(/plugin: logged in/g)).toHaveLength(1);
    expect(server().requests.length).toBeGreaterThan(2);
    expect(new Set(server().requests.map((q) => server().header(q, 'authorization')[0]))).toEqual(new Set(['Bearer tok']));
  });
});
