/** Parses durations such as 90s, 10m, 720h, 30d, 1y into seconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d|y)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1, m: 60, h: 3600, d: 86400, y: 31_536_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'y'];
  return Number(m[1]) * unit;
}
