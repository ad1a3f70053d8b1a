// The shipped build: src/ bundled into bundle/, one flat folder. Commands stay lazy (each flow is
// its own chunk, loaded when its command runs). Small pure-JS libraries (commander, yaml, semver,
// ...: devDependencies for that reason) are inlined, so that start-up reads a few files instead of
// resolving a hundred; the runtime dependencies stay packages (they load only with the command that
// needs them: @kubernetes/client-node alone costs more than the whole start-up).
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outdir = new URL('../bundle/', import.meta.url).pathname;

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external: Object.keys(pkg.dependencies),
  chunkNames: '[name]-[hash]',
  // commander is CommonJS: its require() of Node built-ins needs a real require in ESM output.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  minifyWhitespace: true, minifySyntax: true, // less to parse; names kept for readable stacks
  logLevel: 'warning',
});
