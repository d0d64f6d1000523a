import type { CheckDefinition } from './checks.js';

const DEFAULTS: Partial<Record<CheckDefinition['type'], [plain: number, tls: number]>> = {
  negotiate: [80, 443],
  dns: [53, 53],
  tls: [443, 443],
  smtp: [25, 465],
  pop3: [110, 995],
  imap: [143, 993],
  ftp: [21, 990],
};

/**
 * The port a check connects to: its own, else the target's, else the protocol's well-known
 * port. `undefined` for checks that need none (on, off, external, ping) or lack one (connect).
 */
export function checkPort(check: CheckDefinition, targetPort: number | undefined): number | undefined {
  if (check.type === 'on' || check.type === 'off' || check.type === 'external' || check.type === 'ping') {
    return undefined;
  }
  if (check.port !== undefined) return check.port;
  if (targetPort !== undefined) return targetPort;
  const pair = DEFAULTS[check.type];
  if (pair === undefined) return undefined;
  const tls = (check.type === 'negotiate' && check.scheme === 'https') || ('tls' in check && check.tls === true);
  return tls ? pair[1] : pair[0];
}
