#!/usr/bin/env node
// Entry point: run the CLI, set the exit code, never call process.exit (output must flush).
// CommonJS (bin/package.json), so that `--version` is answered before any ES module loader starts:
// it is what scripts call most, and it costs no more than starting Node (see README "Performance").
'use strict';
const [major, minor] = process.versions.node.split('.').map(Number);
const args = process.argv.slice(2);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`error: k8ssandra needs Node.js 20.19 or newer (this is ${process.versions.node})\nhint: install a current Node.js LTS\n`);
  process.exitCode = 2;
} else if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The same answer as the program's --version (src/version.ts): the package's version.
  process.stdout.write(`${require('../package.json').version}\n`);
} else if (!require('node:fs').existsSync(require('node:path').join(__dirname, '../bundle/main.js'))) {
  // A clone that was never built: say so in the tool's own words, not with Node's stack trace.
  process.stderr.write('error: k8ssandra is not built (bundle/main.js is missing)\nhint: run npm ci && npm run build in the repository\n');
  process.exitCode = 1;
} else {
  // A closed pipe (k8ssandra ... | head) is not an error of ours.
  for (const s of [process.stdout, process.stderr]) s.on('error', (e) => { if (e.code !== 'EPIPE') throw e; });
  import('../bundle/main.js').then(async ({ run }) => {
    process.exitCode = await run(args, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
  }, (e) => {
    // The bundle is there but cannot load (a dependency not installed): one line as well.
    process.stderr.write(`error: k8ssandra cannot start: ${String(e && e.message).split('\n')[0]}\nhint: run npm ci (npm install -g k8ssandra for an installed copy)\n`);
    process.exitCode = 1;
  });
}
