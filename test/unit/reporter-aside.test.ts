// While a credential plugin has the terminal (a prompt, a device code), the spinner does not redraw
// over it: Reporter.aside stops the spinner and starts it again after.
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createReporter } from '../../src/ui/reporter.js';

describe('reporter aside', () => {
  afterEach(() => { vi.unstubAllEnvs(); });

  it('no spinner frame is drawn while another program has the terminal', async () => {
    const writes: string[] = [];
    const stream = Object.assign(new Writable({ write(chunk, _enc, done) { writes.push(String(chunk)); done(); } }),
      { isTTY: true, columns: 80, rows: 24, cursorTo: () => true, clearLine: () => true, moveCursor: () => true }) as unknown as NodeJS.WriteStream;
    // The CI machine sets CI: the reporter decides from the env it is given, not from process.env.
    vi.stubEnv('CI', 'true');
    const ui = createReporter({ stream, env: { TERM: 'xterm' } });
    // Frames are awaited, not counted after a fixed sleep: on a loaded machine a timer fires late.
    const framesAfter = async (count: number) => {
      for (let waited = 0; writes.length <= count && waited < 10_000; waited += 20) await sleep(20);
      return writes.length;
    };
    await ui.step('Resolve contexts', async () => {
      expect(await framesAfter(1)).toBeGreaterThan(1);
      await ui.aside(async () => {
        const before = writes.length;
        await sleep(300);
        expect(writes.length).toBe(before);
      });
      const after = writes.length;
      expect(await framesAfter(after)).toBeGreaterThan(after);
    });
  });
});
