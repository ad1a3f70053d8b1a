import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../model/object.js';
import { packageRoot } from '../paths.js';

const root = new URL('templates/', packageRoot);

/** The objects of a template file in templates/, fresh copies each call (parsed once: every cluster asks). */
export function loadTemplate(name: string): KubeObject[] {
  if (!parsed.has(name)) parsed.set(name, parseAllDocuments(readFileSync(new URL(name, root), 'utf8')).map((d) => d.toJS() as KubeObject).filter(Boolean));
  return structuredClone(parsed.get(name)!);
}
const parsed = new Map<string, KubeObject[]>();
