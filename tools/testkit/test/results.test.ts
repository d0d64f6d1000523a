import { describe, expect, it } from 'vitest';
import { formatSummary } from '../src/summary.js';
import { failureDetails, replay, suiteDetail } from '../src/vitest/results.js';

describe('replaying the guest report on the host', () => {
  const report = {
    testResults: [
      {
        name: '/repo/pkg/test/a.kernel.test.ts',
        status: 'failed',
        assertionResults: [
          { ancestorTitles: ['nat'], title: 'balances', status: 'passed' as const, failureMessages: [] },
          {
            ancestorTitles: ['nat'],
            title: 'drains',
            status: 'failed' as const,
            failureMessages: ['expected 1 to be 2'],
          },
          { ancestorTitles: [], title: 'later', status: 'skipped' as const, failureMessages: [] },
        ],
      },
      { name: '/repo/pkg/test/b.kernel.test.ts', status: 'failed', message: 'SyntaxError: x', assertionResults: [] },
    ],
  };

  it('keeps names and outcomes, fails skips and files that did not load', () => {
    expect(replay(report, '/repo/pkg')).toEqual([
      {
        file: 'test/a.kernel.test.ts',
        tests: [
          { title: 'nat > balances' },
          { title: 'nat > drains', failure: 'expected 1 to be 2' },
          { title: 'later', failure: 'skipped in the kernel VM; tests may not be skipped on these machines' },
        ],
      },
      { file: 'test/b.kernel.test.ts', tests: [{ title: 'loads and runs', failure: 'SyntaxError: x' }] },
    ]);
  });
});

describe('run summary', () => {
  it('prints the plain closing line and fails on failures, skips or nothing run', () => {
    const ok = formatSummary([{ suite: 'ipvs', passed: 3, failed: 0, skipped: 0 }]);
    expect(ok.text.split('\n').at(-1)).toBe('tests: 3 passed, 0 failed, 0 skipped');
    expect(ok.ok).toBe(true);
    expect(formatSummary([{ suite: 'a', passed: 3, failed: 1, skipped: 0 }]).ok).toBe(false);
    expect(formatSummary([{ suite: 'a', passed: 3, failed: 0, skipped: 1 }]).ok).toBe(false);
    expect(formatSummary([]).ok).toBe(false);
  });
});

describe('failure details from the guest output', () => {
  it('cuts each failed test block, diff included, out of the ANSI-coloured output', () => {
    const output = [
      '\u001b[31m⎯⎯⎯⎯⎯⎯⎯\u001b[39m\u001b[1m\u001b[41m Failed Tests 1 \u001b[49m\u001b[22m',
      '',
      '\u001b[41m\u001b[1m FAIL \u001b[22m\u001b[49m \u001b[30m\u001b[43m kernel \u001b[49m\u001b[39m test/a.kernel.test.ts\u001b[2m > \u001b[22mnat > drains',
      'AssertionError: expected 1 to be 2',
      '- Expected',
      '+ Received',
      '- 2',
      '+ 1',
      '\u001b[31m\u001b[2m⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯\u001b[22m\u001b[39m',
    ].join('\n');
    expect(failureDetails(output).get('test/a.kernel.test.ts > nat > drains')).toBe(
      'AssertionError: expected 1 to be 2\n- Expected\n+ Received\n- 2\n+ 1',
    );
  });

  it('names the failed suite around a skipped test (a beforeAll that threw)', () => {
    const output = [
      ' FAIL   kernel  test/e2e/layer4.kernel.test.ts > Layer 4 services',
      'Error: the daemon did not start: CERTIFICATE_INVALID',
      ' ❯ test/e2e/layer4.kernel.test.ts:30:5',
      '⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯',
    ].join('\n');
    const details = failureDetails(output);
    expect(suiteDetail(details, 'test/e2e/layer4.kernel.test.ts', 'Layer 4 services > DR: balances')).toBe(
      'test/e2e/layer4.kernel.test.ts > Layer 4 services failed:\nError: the daemon did not start: CERTIFICATE_INVALID\n ❯ test/e2e/layer4.kernel.test.ts:30:5',
    );
    expect(suiteDetail(details, 'test/e2e/other.kernel.test.ts', 'Layer 4 services > DR: balances')).toBeUndefined();
  });
});
