/**
 * Prints the plain closing line 'N passed, N failed' (plus skipped) that CI reads. It cannot say less than
 * the truth: a failed hook (beforeAll/afterAll), a file that failed to load and an unhandled error each
 * count as a failure, even where no single test failed (their tests then show as skipped).
 */
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      let failedTests = 0;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failedTests++;
        else skipped++;
      }
      failed += failedTests;
      // A suite or file that failed although none of its tests did: a hook, the import, the collection.
      const failedSuites = [...m.children.allSuites()].filter(
        (s) =>
          s.state() === 'failed' && ![...s.children.allTests()].some((t) => t.result().state === 'failed'),
      ).length;
      failed += failedSuites;
      if (m.state() === 'failed' && failedTests === 0 && failedSuites === 0) failed++;
    }
    failed += unhandledErrors.length;
    if (reason === 'failed' && failed === 0) failed = 1; // the runner says so even if nothing above did
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
