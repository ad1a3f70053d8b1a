// The matrix: rows are from-clusters, columns to-clusters.
import type { RoutabilityPair, RoutabilityReport } from '../report/model.js';

export interface MatrixCell { ok: boolean; ms?: number; errors: string[] }
export interface Matrix { ports: number[]; contexts: string[]; cells: (MatrixCell | undefined)[][] }

function cellOf(pairs: RoutabilityPair[]): MatrixCell | undefined {
  if (!pairs.length) return undefined;
  const ms = pairs.map((p) => p.ms).filter((m): m is number => m !== undefined);
  return { ok: pairs.every((p) => p.ok), ...(ms.length ? { ms: Math.max(...ms) } : {}),
    errors: [...new Set(pairs.filter((p) => !p.ok).map((p) => p.error ?? 'error'))] };
}

/**
 * One matrix for all ports when every pair fares the same on each of them; otherwise one per port.
 * A cell is undefined on the diagonal (and wherever nothing was probed).
 */
export function routabilityMatrices(r: Pick<RoutabilityReport, 'ports' | 'pairs' | 'listeners'>): Matrix[] {
  const contexts = [...new Set([...r.listeners.map((l) => l.context), ...r.pairs.flatMap((p) => [p.from, p.to])])];
  const between = (from: string, to: string) => r.pairs.filter((p) => p.from === from && p.to === to);
  const uniform = contexts.every((from) => contexts.every((to) => new Set(between(from, to).map((p) => p.ok)).size <= 1));
  const build = (ports: number[]): Matrix => ({ ports, contexts,
    cells: contexts.map((from) => contexts.map((to) => cellOf(between(from, to).filter((p) => ports.includes(p.port))))) });
  return uniform ? [build(r.ports)] : r.ports.map((port) => build([port]));
}
