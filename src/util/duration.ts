/** Seconds per unit: Go's (time.ParseDuration, what kubectl reads), and days and years (`--token-ttl 30d`). */
const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86_400, y: 31_536_000 };

/**
 * Parses a duration as kubectl does (`90s`, `1h30m`, `1.5h`, `500ms`, a bare `0`), and this tool's
 * days and years (`30d`, `1y`), into seconds; undefined when it is not one. Hand-written: `ms` reads
 * no compound durations, and `parse-duration` takes a bare `10` as milliseconds and English words.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  if (!/^(\d+\.?\d*|\.\d+)[a-zµμ]+((\d+\.?\d*|\.\d+)[a-zµμ]+)*$/.test(t)) return undefined;
  let seconds = 0;
  for (const [, n, unit] of t.matchAll(/(\d+\.?\d*|\.\d+)([a-zµμ]+)/g)) {
    const per = UNITS[unit!];
    if (per === undefined) return undefined;
    seconds += Number(n) * per;
  }
  return seconds;
}
