#!/usr/bin/env node
// Entry point: run the CLI, set the exit code, never call process.exit (output must flush).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`error: k8ssandra needs Node.js 20.19 or newer (this is ${process.versions.node})\nhint: install a current Node.js LTS\n`);
  process.exitCode = 2;
} else {
  // A closed pipe (k8ssandra ... | head) is not an error of ours.
  for (const s of [process.stdout, process.stderr]) s.on('error', (e) => { if (e.code !== 'EPIPE') throw e; });
  const { run } = await import('../bundle/main.js');
  process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
}
