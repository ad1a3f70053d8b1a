// Network cuts between pairs of clusters, kept in .testbed/cuts.json as [["cp","dp1"], ...]. The podnet
// agent reads the file on every probe and every accepted connection, so cut/heal act at once.
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { cutsPath } from './paths.js';

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
