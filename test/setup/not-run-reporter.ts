// A vitest reporter for what the default summary hides: when a beforeAll (or a whole file) fails, vitest
// counts the tests it then never ran as "skipped". This project declares no skipped tests, so a test
// that did not run is a failure: this reporter names the hook that failed, counts its tests as failed
// in a closing line, and makes sure the exit code says so. (.ci/run counts the same way from results.json.)
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';
import type { Vitest } from 'vitest/node';

type Parent = TestSuite | TestModule;

/** The nearest suite or file above a test that has errors of its own (a failed hook or import). */
function failedAncestor(test: TestCase): Parent | undefined {
  for (let p: Parent | undefined = test.parent; p; p = p.type === 'suite' ? p.parent : undefined) {
    if (p.errors().length > 0) return p;
  }
  return undefined;
}

export default class NotRunReporter implements Reporter {
  private ctx?: Vitest;

  onInit(ctx: Vitest): void {
    this.ctx = ctx;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const log = (line: string) => (this.ctx ? this.ctx.logger.log(line) : console.log(line));
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let notRun = 0;
    const causes = new Map<Parent, number>();
    for (const module of modules) {
      const tests = [...module.children.allTests()];
      if (tests.length === 0 && module.errors().length > 0) causes.set(module, 0); // failed before any test was collected
      for (const test of tests) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else if (state === 'skipped' && test.options.mode !== 'skip' && test.options.mode !== 'todo') {
          const cause = failedAncestor(test);
          if (cause) {
            notRun++;
            causes.set(cause, (causes.get(cause) ?? 0) + 1);
          } else skipped++;
        } else if (state === 'skipped') skipped++;
      }
    }
    if (causes.size === 0) return;
    log('');
    for (const [cause, count] of causes) {
      const where = cause.type === 'module' ? cause.relativeModuleId : `${cause.module.relativeModuleId} > ${cause.fullName}`;
      const error = cause.errors()[0];
      // First and last lines: an assertion with a message (expect(x, stderr)) ends with what was expected.
      const lines = (error?.message ?? 'unknown error').split('\n').filter((l) => l.trim());
      const message = lines.length > 1 ? `${lines[0]} … ${lines.at(-1)}` : (lines[0] ?? 'unknown error');
      const what = count === 0 ? 'the file failed before its tests could be collected' : `${count} test${count === 1 ? '' : 's'} did not run because a hook failed`;
      log(` NOT RUN  ${where}: ${what}: ${message}`);
    }
    const unloaded = [...causes.values()].filter((c) => c === 0).length;
    log(` Closing: ${passed} passed, ${failed + notRun} failed (${notRun} of them did not run), ${skipped} skipped`
      + `${unloaded ? `; ${unloaded} file${unloaded === 1 ? '' : 's'} failed to load` : ''}`);
    process.exitCode = 1;
  }
}
