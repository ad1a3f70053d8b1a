// Durations as kubectl reads them (Go's time.ParseDuration), plus this tool's days and years.
import { describe, expect, it } from 'vitest';
import { durationFlag } from '../../src/cli/parse.js';
import { parseDuration } from '../../src/util/duration.js';

describe('durations', () => {
  it('Go durations, and days and years', () => {
    const cases: [string, number][] = [['90s', 90], ['10m', 600], ['1h30m', 5400], ['1.5h', 5400], ['500ms', 0.5], ['2h45m30s', 9930],
      ['.5s', 0.5], ['1.s', 1], ['100us', 1e-4], ['100µs', 1e-4], ['30d', 2_592_000], ['1y', 31_536_000], ['720h', 2_592_000], ['0', 0], ['0s', 0]];
    for (const [text, seconds] of cases) expect(parseDuration(text), text).toBeCloseTo(seconds, 9);
  });

  it('not durations: no unit, unknown units, signs, spaces inside, words', () => {
    for (const text of ['10', 'ten', '1hour', '5 m', '-5m', '+5m', '1h 30m', 'h', '1..5h', '', '1w']) expect(parseDuration(text), text).toBeUndefined();
  });

  it('a flag refuses 0 unless 0 means no limit (--request-timeout 0, as in kubectl)', () => {
    expect(() => durationFlag('--timeout', '0s')).toThrow('--timeout 0s is not a duration');
    expect(durationFlag('--request-timeout', '0', { zeroIsNone: true })).toBe(0);
    expect(() => durationFlag('--timeout', 'soon')).toThrow(expect.objectContaining({ hint: 'write it as 90s, 10m, 1h30m, 500ms or 30d' }));
  });
});
