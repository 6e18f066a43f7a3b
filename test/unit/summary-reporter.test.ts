/** The closing line CI reads must count a failed hook or file as a failure, not as skipped tests. */
import { describe, expect, it, vi } from 'vitest';
import type { TestModule } from 'vitest/node';
import SummaryReporter from '../support/summary-reporter.js';

type State = 'passed' | 'failed' | 'skipped';
const test = (state: State) => ({ result: () => ({ state }) });
const suite = (state: State, tests: State[]) => ({
  state: () => state,
  children: { allTests: () => tests.map(test) },
});
const file = (state: State, suites: ReturnType<typeof suite>[], loose: State[] = []) =>
  ({
    state: () => state,
    children: {
      allTests: () => [...suites.flatMap((s) => s.children.allTests()), ...loose.map(test)],
      allSuites: () => suites,
    },
  }) as unknown as TestModule;

function line(modules: TestModule[], unhandled = 0): string {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    new SummaryReporter().onTestRunEnd(modules, Array(unhandled).fill({ message: 'x' }), 'failed');
    return String(out.mock.calls[0]?.[0]).trim();
  } finally {
    out.mockRestore();
  }
}

describe('summary reporter', () => {
  it('counts a beforeAll that failed (its tests skipped) as a failure', () => {
    expect(
      line([file('failed', [suite('failed', ['skipped', 'skipped'])]), file('passed', [], ['passed'])]),
    ).toBe('1 passed, 1 failed, 2 skipped');
  });
  it('counts a file that failed to load, and unhandled errors', () => {
    expect(line([file('failed', [])], 2)).toBe('0 passed, 3 failed, 0 skipped');
  });
  it('does not count a failing test twice through its suite', () => {
    expect(line([file('failed', [suite('failed', ['failed', 'passed'])])])).toBe(
      '1 passed, 1 failed, 0 skipped',
    );
  });
});
