/** The parts of vitest's JSON report (jest-compatible) that the kernel proxy replays. */
export interface JsonAssertion {
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo' | 'disabled';
  failureMessages: string[] | null;
  duration?: number | null;
}

export interface JsonFile {
  name: string;
  status: string;
  message?: string;
  assertionResults: JsonAssertion[];
}

export interface JsonReport {
  testResults: JsonFile[];
}

export interface ReplayedTest {
  title: string;
  /** Undefined when the test passed; otherwise why it must fail here. */
  failure?: string;
}

export interface ReplayedFile {
  file: string;
  tests: ReplayedTest[];
}

/**
 * Turns the guest's report into the tests the host registers. A file that did not load
 * becomes one failing test, and a skipped test fails too: nothing may be skipped here.
 */
export function replay(report: JsonReport, root: string): ReplayedFile[] {
  return report.testResults.map((file) => {
    const relative = file.name.startsWith(`${root}/`) ? file.name.slice(root.length + 1) : file.name;
    const tests: ReplayedTest[] = file.assertionResults.map((a) => {
      const title = [...a.ancestorTitles, a.title].join(' > ');
      if (a.status === 'passed') return { title };
      if (a.status === 'failed') return { title, failure: (a.failureMessages ?? []).join('\n\n') || 'failed' };
      return { title, failure: `${a.status} in the kernel VM; tests may not be skipped on these machines` };
    });
    if (tests.length === 0) {
      tests.push({ title: 'loads and runs', failure: file.message || `no test ran in ${relative} (${file.status})` });
    }
    return { file: relative, tests };
  });
}
