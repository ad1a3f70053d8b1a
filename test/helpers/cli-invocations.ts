// Static analysis of test files: which CLI invocations they make, with which command and flags.
// Only code counts: the TypeScript parser drops comments, and a flag counts only when it is a string
// literal among the arguments of a call that runs the CLI (k8ssandra(...), startK8ssandra(...),
// startK8ssandraOnTerminal(...), execa(bin, ...) of the packed CLI, or a local wrapper around one of them).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Functions that run the CLI with their arguments (test/helpers/cli.ts). */
const RUNNERS = new Set(['k8ssandra', 'startK8ssandra', 'startK8ssandraOnTerminal']);

export interface Invocation {
  file: string;
  line: number;
  /** The command (install, status, ...), or undefined when none is named (--version, --help). */
  command?: string;
  /** Every string argument, in order, as the CLI receives it ('--flag=value' split in two). */
  args: string[];
}

/** Every .ts file under the given directories, recursively. */
export function testFiles(...dirs: string[]): string[] {
  return dirs.flatMap((dir) => readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.ts') ? [p] : [];
  }));
}

/** Exported (and local) `const X = ['...', ...]` string arrays of a file, by name. */
function constArrays(sf: ts.SourceFile, known: Map<string, string[]>): Map<string, string[]> {
  const out = new Map(known);
  const visit = (n: ts.Node) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isArrayLiteralExpression(n.initializer)) {
      out.set(n.name.text, strings(n.initializer, out));
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** String literals in an expression, in order; arrays named by identifiers are expanded; object literals (options) skipped. */
function strings(node: ts.Node, arrays: Map<string, string[]>): string[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isObjectLiteralExpression(node)) return [];
  if (ts.isIdentifier(node)) return arrays.get(node.text) ?? [];
  const out: string[] = [];
  ts.forEachChild(node, (c) => { out.push(...strings(c, arrays)); });
  return out;
}

function calleeName(call: ts.CallExpression): string | undefined {
  return ts.isIdentifier(call.expression) ? call.expression.text : undefined;
}

/** Whether a call runs the CLI directly. */
function isRunner(call: ts.CallExpression): boolean {
  const name = calleeName(call);
  if (name && RUNNERS.has(name)) return true;
  if (name !== 'execa' || !call.arguments.length) return false;
  // The globally installed package, execa(bin, [...]) in test/e2e/package.test.ts, or
  // execa('node', [path.join(repoRoot, 'bin/k8ssandra.js'), ...]).
  const [first, second] = call.arguments;
  return (ts.isIdentifier(first!) && first.text === 'bin') || (!!second && strings(second, new Map()).includes('bin/k8ssandra.js'));
}

/** A named function (declaration or const arrow/function expression) and its body. */
function namedFunctions(sf: ts.SourceFile): Map<string, ts.Node> {
  const out = new Map<string, ts.Node>();
  const visit = (n: ts.Node) => {
    if (ts.isFunctionDeclaration(n) && n.name && n.body) out.set(n.name.text, n.body);
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer
      && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))) out.set(n.name.text, n.initializer.body);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function calls(node: ts.Node): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

function splitFlags(args: string[]): string[] {
  return args.flatMap((a) => (/^--[a-z][a-z-]*=/.test(a) ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));
}

export interface Source { file: string; text: string }

export const readSources = (files: string[]): Source[] => files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));

/**
 * Every CLI invocation in the given sources, as far as string literals tell. `shared` are helper
 * modules whose const arrays (bedInstallFlags) any source may spread into its arguments.
 */
export function invocations(sources: Source[], commands: string[], shared: Source[] = []): Invocation[] {
  let known = new Map<string, string[]>();
  for (const f of shared) known = constArrays(ts.createSourceFile(f.file, f.text, ts.ScriptTarget.Latest, true), known);
  const isCommand = (s: string) => commands.includes(s);
  const out: Invocation[] = [];
  for (const { file, text } of sources) {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const arrays = constArrays(sf, known);
    const functions = namedFunctions(sf);
    // Wrappers: local functions that run the CLI (or another wrapper); their command, when they name one.
    const wrappers = new Map<string, string | undefined>();
    for (let grew = true; grew;) {
      grew = false;
      for (const [name, body] of functions) {
        if (wrappers.has(name)) continue;
        const inner = calls(body).filter((c) => isRunner(c) || wrappers.has(calleeName(c) ?? ''));
        if (!inner.length) continue;
        const named = inner.map((c) => strings(c, arrays).find(isCommand) ?? wrappers.get(calleeName(c)!)).find(Boolean);
        wrappers.set(name, named);
        grew = true;
      }
    }
    for (const call of calls(sf)) {
      const name = calleeName(call);
      if (!name || !(isRunner(call) || wrappers.has(name))) continue;
      const args = splitFlags(call.arguments.flatMap((a) => strings(a, arrays)));
      const line = sf.getLineAndCharacterOfPosition(call.getStart(sf)).line + 1;
      out.push({ file, line, command: args.find(isCommand) ?? wrappers.get(name), args });
    }
  }
  return out;
}
