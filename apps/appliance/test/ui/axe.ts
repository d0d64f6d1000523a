import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** One rule's violation on a page, as the test reports it: the rule, its impact and where. */
export interface Finding {
  page: string;
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

const BLOCKING = new Set(['serious', 'critical']);

/**
 * axe-core's checks over the whole document as it is now. The script goes in by the
 * DevTools protocol (page.evaluate), which the UI's Content-Security-Policy does not stop
 * as it would a script tag; a route change keeps the document, a reload needs it again.
 */
export async function audit(page: Page, name: string): Promise<Finding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const run = (window as unknown as { axe: typeof axe }).axe.run;
    const result = await run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      rule: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return violations.map((v) => ({ page: name, ...v }));
}

export const blocking = (findings: readonly Finding[]) => findings.filter((f) => BLOCKING.has(f.impact));
export const lesser = (findings: readonly Finding[]) => findings.filter((f) => !BLOCKING.has(f.impact));
