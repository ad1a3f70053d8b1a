// The flags README.md documents, read from its "Commands and flags" section: the flag tables (global
// flags, install), the usage lines in each command's code blocks, and the flags its prose names in code spans.

export interface DocumentedFlag {
  /** The command it belongs to; '*' for a global flag (any command). */
  command: string;
  /** As written: '--token-ttl', '-o'. */
  flag: string;
  /** Values the README lists for it ('text|json|yaml'): each one is a mode of its own. */
  values: string[];
  /** Where the README says so, for messages. */
  where: string;
}

const FLAG = /^--?[a-zA-Z][a-zA-Z-]*$/;

/** Flags (and their listed values) in a piece of usage text: `-o, --output text\|json\|yaml`, `[--watch [--interval 5s]]`. */
function flagsIn(text: string): { flag: string; values: string[] }[] {
  const tokens = text.replace(/\\\|/g, '|').replace(/[[\]]/g, ' ').split(/[\s,]+/).filter(Boolean);
  const out: { flag: string; values: string[] }[] = [];
  tokens.forEach((t, i) => {
    const flag = t.split('=')[0]!;
    if (!FLAG.test(flag)) return;
    const next = tokens[i + 1] ?? '';
    // Only the listed alternatives of a closed set (text|json|yaml) are modes; placeholders (FILE, CTX=URL) are not.
    const values = /^[a-z]+(\|[a-z]+)+$/.test(next) ? next.split('|') : [];
    out.push({ flag, values });
  });
  // `-o, --output a|b`: the values belong to both spellings.
  const values = out.find((f) => f.values.length)?.values ?? [];
  return out.map((f) => ({ ...f, values: f.values.length ? f.values : values }));
}

const codeSpans = (line: string) => [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/**
 * Every flag the README's "Commands and flags" section documents, per command. `commands` are the
 * commands that have flags; the section of any other command (completion) is not read.
 */
export function documentedFlags(readme: string, commands: string[]): DocumentedFlag[] {
  const start = readme.indexOf('\n## Commands and flags\n');
  if (start < 0) throw new Error('README.md has no "## Commands and flags" section');
  const end = readme.indexOf('\n## ', start + 1);
  const lines = readme.slice(start, end < 0 ? undefined : end).split('\n');
  const out: DocumentedFlag[] = [];
  let command = '*';
  let section = 'global flags';
  let inCode = false;
  let inFlagTable = false;
  const add = (cmd: string, text: string, where: string) => {
    for (const f of flagsIn(text)) out.push({ command: cmd, flag: f.flag, values: f.values, where });
  };
  lines.forEach((line, i) => {
    const where = `README "${section}" (line ${readme.slice(0, start).split('\n').length + i})`;
    const heading = /^### `k8ssandra ([a-z-]+)/.exec(line);
    if (heading) { command = heading[1]!; section = `k8ssandra ${command}`; inFlagTable = false; return; }
    if (line.startsWith('```')) { inCode = !inCode; return; }
    // A command without flags (completion) names other commands' flags as examples, not as its own.
    if (!commands.includes(command) && command !== '*') return;
    if (inCode) {
      // A usage line: `k8ssandra CMD flags...   # comment`
      const usage = /^k8ssandra ([a-z-]+)(.*)$/.exec(line.replace(/\s#.*$/, ''));
      if (usage && commands.includes(usage[1]!)) add(usage[1]!, usage[2]!, where);
      return;
    }
    if (line.startsWith('|')) {
      const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
      if (/^-+$/.test(cells[0] ?? '')) return; // the separator row
      if (!inFlagTable && cells[0] === 'flag') { inFlagTable = true; return; }
      if (inFlagTable) for (const span of codeSpans(cells[0]!)) add(command, span, where);
      return;
    }
    inFlagTable = false;
    // Prose: a code span with flags; one that starts with a command names the command it is about.
    for (const span of codeSpans(line)) {
      const named = /^(?:k8ssandra )?([a-z-]+) (.*)$/.exec(span);
      if (named && commands.includes(named[1]!)) add(named[1]!, named[2]!, where);
      else if (span.startsWith('-')) add(command, span, where);
    }
  });
  return out;
}
