/**
 * What a save says besides "saved": the warnings the API answered the write with (a VIP
 * no interface's network holds, a part this host cannot run, the DR ARP problem). A toast
 * is gone in seconds and the page redraws after a save, so they are kept here and shown
 * at the top of the page drawn next, until the next save.
 */
import type { ApiIssue } from './api.js';
import { h, toast } from './dom.js';

let pending: { version: number; warnings: ApiIssue[] } | undefined;

/** After a successful write: the toast, and its warnings kept for the next page drawn. */
export function saved(result: { version: number; warnings?: ApiIssue[]; unchanged?: boolean }): void {
  const warnings = result.warnings ?? [];
  const what = result.unchanged
    ? `Nothing changed: configuration version ${result.version} stays current`
    : `Saved as configuration version ${result.version}`;
  toast(
    warnings.length === 0
      ? what
      : `${what}, with ${warnings.length === 1 ? 'a warning' : `${warnings.length} warnings`}`,
  );
  pending = warnings.length === 0 ? undefined : { version: result.version, warnings };
}

/** The last save's warnings as an alert (once: the page after that shows none), or null. */
export function savedWarnings(): HTMLElement | null {
  const shown = pending;
  pending = undefined;
  if (shown === undefined) return null;
  return h(
    'div',
    { class: 'warnings saved-warnings', role: 'alert', 'data-testid': 'saved-warnings' },
    h('div', {}, `Configuration version ${shown.version} is saved, with these warnings:`),
    shown.warnings.map((w) => h('div', {}, `⚠ ${w.message}`)),
  );
}
