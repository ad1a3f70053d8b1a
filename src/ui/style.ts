import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

/** Colour only on a terminal, and never with NO_COLOR or TERM=dumb. */
export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return !!stream.isTTY && !('NO_COLOR' in env) && env.TERM !== 'dumb' && !('CI' in env && !env.FORCE_COLOR);
}

export function styler(enabled: boolean) {
  const s = (style: Style) => (text: string) => (enabled ? styleText(style, text) : text);
  return {
    ok: s('green'), warn: s('yellow'), fail: s('red'), dim: s('dim'), bold: s('bold'),
    mark: { pass: enabled ? styleText('green', '✔') : 'ok', warn: enabled ? styleText('yellow', '!') : 'warn', fail: enabled ? styleText('red', '✖') : 'FAIL' },
  };
}
export type Styler = ReturnType<typeof styler>;
