// The layout is the architecture (docs/architecture.md): these are the rules a change must keep.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../src');
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
const all = files(root);
const rel = (f: string) => path.relative(root, f);
/** Every relative import of a file (static and dynamic), as paths under src. */
const importsOf = (f: string) => [...readFileSync(f, 'utf8').matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)\.js['"]/g)]
  .map((m) => path.resolve(path.dirname(f), `${m[1]}.ts`));

describe('architecture', () => {
  it('no import circles (static or dynamic)', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of importsOf(f)) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' -> '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of all) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('only kube/ talks to @kubernetes/client-node', () => {
    expect(all.filter((f) => readFileSync(f, 'utf8').includes('@kubernetes/client-node')).map(rel).filter((f) => !f.startsWith('kube/'))).toEqual([]);
  });

  it('pure knowledge never needs I/O: model/ and plan/ import nothing from kube/', () => {
    const pure = all.filter((f) => /^(model|plan)\//.test(rel(f)));
    expect(pure.length).toBeGreaterThan(10);
    expect(pure.flatMap((f) => importsOf(f).map(rel).filter((d) => d.startsWith('kube/')).map((d) => `${rel(f)} -> ${d}`))).toEqual([]);
  });

  it('nothing below the command line imports from cli/ or main: commands call in, never the other way', () => {
    const inward = (f: string, banned: RegExp) => importsOf(f).map(rel).filter((d) => banned.test(d));
    for (const f of all.filter((x) => /^(steps|flows|run|kube|checks|plan|registration|routability|status)\//.test(rel(x)))) {
      expect(inward(f, /^(cli\/|main\.ts)/), rel(f)).toEqual([]);
    }
  });
});
