import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/catalog.js';
import { MIN_KUBERNETES, NEWEST_TESTED_KUBERNETES, OLDEST_TESTED_KUBERNETES } from '../../src/checks/preflight.js';
import { ExitCode } from '../../src/errors.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README documents what the code can emit', () => {
  it('has a section (anchor) for every check ID', () => {
    const headings = new Set([...readme.matchAll(/^### ([A-Z0-9-]+)$/gm)].map((m) => m[1]));
    const missing = Object.keys(CHECKS).filter((id) => !headings.has(id));
    expect(missing).toEqual([]);
  });

  it('lists every exit code in one table', () => {
    for (const code of Object.values(ExitCode)) expect(readme).toMatch(new RegExp(`^\\| ${code} \\| `, 'm'));
  });

  it('states the Kubernetes versions the K8S-VERSION check passes, warns for and refuses', () => {
    const section = readme.split(/^## /m).find((s) => s.startsWith('Supported Kubernetes versions'));
    const minor = (v: string) => v.split('.').slice(0, 2).join('.');
    expect(section).toContain(`Kubernetes **${OLDEST_TESTED_KUBERNETES} to ${NEWEST_TESTED_KUBERNETES}**`);
    expect(section).toContain(`refuses older than ${minor(MIN_KUBERNETES)}`);
  });
});
