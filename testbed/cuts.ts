// Network cuts between pairs of clusters, kept in .testbed/cuts.json as [["cp","dp1"], ...]. The podnet
// agent reads the file on every probe and every accepted connection, so cut/heal act at once.
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadContexts } from './kube.js';
import { cutsPath, kubeconfigPath } from './paths.js';

export type Cut = [string, string];

function normalise(a: string, b: string): Cut {
  return a < b ? [a, b] : [b, a];
}

export function readCuts(path = cutsPath): Cut[] {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return Array.isArray(data) ? data.filter((c): c is Cut => Array.isArray(c) && c.length === 2).map(([a, b]) => normalise(a, b)) : [];
  } catch {
    return []; // no file (or a half-written one): nothing is cut
  }
}

function writeCuts(cuts: Cut[], path = cutsPath): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cuts)}\n`);
  renameSync(tmp, path); // atomic: the agent never reads half a file
}

export function isCut(cuts: Cut[], a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || a === b) return false;
  const [x, y] = normalise(a, b);
  return cuts.some(([p, q]) => p === x && q === y);
}

export function addCut(a: string, b: string, path = cutsPath): Cut[] {
  if (a === b) throw new Error(`cannot cut ${a} from itself`);
  const cuts = readCuts(path);
  if (!isCut(cuts, a, b)) cuts.push(normalise(a, b));
  writeCuts(cuts, path);
  return cuts;
}

/** Removes the cut between a and b, or every cut when no pair is given. */
export function removeCuts(pair?: [string, string], path = cutsPath): Cut[] {
  const cuts = pair ? readCuts(path).filter(([p, q]) => !isCut([[p, q]], pair[0], pair[1])) : [];
  writeCuts(cuts, path);
  return cuts;
}

function checkContext(context: string): void {
  if (!existsSync(kubeconfigPath)) throw new Error(`no test bed (${kubeconfigPath} is missing): run \`npm run testbed -- up\``);
  const known = loadContexts(kubeconfigPath).map((c) => c.name);
  if (!known.includes(context)) throw new Error(`unknown context ${context}; the bed has ${known.join(', ')}`);
}

/** Drops all traffic between the pod networks of two of the bed's clusters (enforced by the podnet agent). */
export function cut(a: string, b: string): Cut[] {
  checkContext(a);
  checkContext(b);
  return addCut(a, b);
}

/** Heals the cut between a and b, or every cut when called without a pair. */
export function heal(a?: string, b?: string): Cut[] {
  if ((a === undefined) !== (b === undefined)) throw new Error('heal takes two contexts, or none to heal every cut');
  return removeCuts(a !== undefined && b !== undefined ? [a, b] : undefined);
}
