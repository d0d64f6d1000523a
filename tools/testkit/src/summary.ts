import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SuiteCounts {
  suite: string;
  passed: number;
  failed: number;
  skipped: number;
}

interface VitestJson {
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  testResults?: { status?: string; assertionResults?: unknown[] }[];
}

export function countsOf(suite: string, json: VitestJson): SuiteCounts {
  // A file that failed to load has no assertion results: count it as a failure.
  const brokenFiles = (json.testResults ?? []).filter(
    (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
  ).length;
  return {
    suite,
    passed: json.numPassedTests ?? 0,
    failed: (json.numFailedTests ?? 0) + brokenFiles,
    skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
  };
}

/** Reads every suite's vitest JSON report in `dir`. */
export function readSummaries(dir: string): SuiteCounts[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((f) => countsOf(f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8')) as VitestJson));
}

/**
 * The closing lines of a whole run. A skipped test counts against the run: on the
 * project's machines every test can run, so a skip means something was missing.
 */
export function formatSummary(suites: readonly SuiteCounts[]): { text: string; ok: boolean } {
  const total = suites.reduce(
    (acc, s) => ({ passed: acc.passed + s.passed, failed: acc.failed + s.failed, skipped: acc.skipped + s.skipped }),
    { passed: 0, failed: 0, skipped: 0 },
  );
  const lines = suites.map((s) => `  ${s.suite}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
  lines.push(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return { text: lines.join('\n'), ok: total.failed === 0 && total.skipped === 0 && total.passed > 0 };
}
