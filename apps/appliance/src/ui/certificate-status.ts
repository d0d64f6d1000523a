import { expiryWarning, type TerminationCertificateStatus } from '../model/certificate.js';
import { api } from './api.js';
import { formatTime, h } from './dom.js';

/** The SSL termination certificates as this node's files hold them, by label. */
export async function loadCertificateStatus(): Promise<Map<string, TerminationCertificateStatus>> {
  const list = await api.get<TerminationCertificateStatus[]>('/certificate-status');
  return new Map(list.map((status) => [status.label, status]));
}

/**
 * A certificate's warning (expiring, expired, unreadable), or undefined while all is well:
 * judged by the appliance's clock (the API's `expiry`), not the browser's.
 */
export function certificateWarning(status: TerminationCertificateStatus): string | undefined {
  if (status.problem !== undefined) return `Certificate ${status.label} cannot be used: ${status.problem}`;
  return status.info && status.expiry ? expiryWarning(status.label, status.info.validTo, status.expiry) : undefined;
}

/**
 * The certificates' warnings as one alert, or null. `onlyUsed`: only those an SSL
 * termination presents (the overview: a certificate nobody uses harms no client).
 */
export function certificateWarnings(
  statuses: Iterable<TerminationCertificateStatus>,
  onlyUsed = false,
): HTMLElement | null {
  const lines: string[] = [];
  for (const status of statuses) {
    if (onlyUsed && status.usedBy.length === 0) continue;
    const warning = certificateWarning(status);
    if (warning === undefined) continue;
    const users = status.usedBy.length > 0 ? ` (presented by ${status.usedBy.join(', ')})` : '';
    lines.push(`${warning}${users}`);
  }
  if (lines.length === 0) return null;
  return h(
    'div',
    { class: 'warnings certificate-warnings', role: 'alert', 'data-testid': 'certificate-warnings' },
    lines.map((line) => h('div', {}, `⚠ ${line}`)),
  );
}

/** The "Expires" cell: the date, and how it stands when it is near or past. */
export function expiryText(status: TerminationCertificateStatus | undefined): string {
  if (status?.info === undefined || status.expiry === undefined) return '';
  const date = formatTime(status.info.validTo);
  const { state, daysLeft } = status.expiry;
  if (state === 'expired') return `${date} — expired`;
  if (state === 'expiring') return `${date} — ⚠ ${daysLeft < 1 ? 'within a day' : `in ${daysLeft} days`}`;
  return date;
}
