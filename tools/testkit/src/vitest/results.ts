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

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are control characters
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/**
 * The guest's own account of each failed test (assertion diff, code frame), cut from its
 * vitest output: the JSON report keeps only the message and stack. Keyed by
 * `<file> > <titles>` as vitest prints them after FAIL.
 */
export function failureDetails(output: string): Map<string, string> {
  const details = new Map<string, string>();
  const lines = output.replace(ANSI, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*FAIL\s+(?:\S+\s+)??(\S+\.test\.ts\s+>\s+.+?)\s*$/.exec(lines[i] ?? '');
    if (!header?.[1]) continue;
    const body: string[] = [];
    for (
      let j = i + 1;
      j < lines.length && !/^\s*⎯{3,}/.test(lines[j] ?? '') && !/^\s*FAIL\s/.test(lines[j] ?? '');
      j++
    ) {
      body.push(lines[j] ?? '');
    }
    const key = header[1].replace(/\s+>\s+/g, ' > ');
    if (!details.has(key)) details.set(key, body.join('\n').trim());
  }
  return details;
}

/**
 * What the guest printed about the nearest suite around a test: a `beforeAll` that throws
 * fails its suite, and vitest then reports the suite's tests as skipped, with no message of
 * their own, so the host would say only "skipped" without this.
 */
export function suiteDetail(details: Map<string, string>, file: string, title: string): string | undefined {
  const parts = title.split(' > ');
  for (let n = parts.length - 1; n >= 0; n--) {
    const suite = [file, ...parts.slice(0, n)].join(' > ');
    const found = details.get(suite);
    if (found !== undefined) return `${suite} failed:\n${found}`;
  }
  return undefined;
}
