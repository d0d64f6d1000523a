import type { StatRow } from '@sluice/haproxy-config';
import type { HealthState, Layer7StatRow } from '../../model/engine-status.js';
import { type ServerObservation, serverKey } from '../driver.js';
import type { Layer7ServerEntry } from './model.js';

export interface HealthReading {
  health: HealthState;
  /** Why the server is down, in the status page's words (`timeout`, `refused`, `status 503`). */
  reason?: string;
}

/** HAProxy's check_status without its "check in progress" mark. */
function checkStatus(row: StatRow): string {
  return (row.raw.check_status ?? '').replace(/^\*\s*/, '').trim();
}

function failureReason(row: StatRow): string {
  const status = checkStatus(row);
  const detail = (row.raw.last_chk ?? '').trim();
  if (/TOUT$/.test(status)) return 'timeout';
  if (status === 'L7STS') return row.raw.check_code ? `status ${row.raw.check_code}` : 'bad status';
  if (status === 'L4CON') return /refused/i.test(detail) ? 'refused' : detail.toLowerCase() || 'connection failed';
  return detail || (row.raw.check_desc ?? '').trim() || status || 'check failed';
}

/**
 * A server's health from HAProxy's `show stat` row. `UP 1/3` (failing, not yet down) is
 * still up and `DOWN 1/2` (recovering) still down, as HAProxy routes them. In maintenance
 * or drain the status column shows the admin state, so the last check result decides.
 */
export function healthOf(row: StatRow, checked: boolean): HealthReading {
  if (!checked) return { health: 'unchecked' };
  const status = row.status.toUpperCase();
  if (status.startsWith('UP') || status.startsWith('NOLB')) return { health: 'up' };
  if (status.startsWith('DOWN')) return { health: 'down', reason: failureReason(row) };
  if (status.startsWith('NO CHECK')) return { health: 'unchecked' };
  const check = checkStatus(row);
  if (check === '' || check === 'INI' || check === 'UNK') return { health: 'unknown' };
  if (check.endsWith('OK')) return { health: 'up' };
  return { health: 'down', reason: failureReason(row) };
}

/** The weight HAProxy balances with now: 0 while in maintenance, draining or down. */
export function effectiveWeightOf(row: StatRow): number {
  if (/^(MAINT|DRAIN|DOWN|NOLB)/i.test(row.status)) return 0;
  return row.weight ?? 0;
}

/** `show stat` -> the engine's observations, keyed `layer7/<service>/<server>`, for the configured real servers. */
export function observationsFrom(
  rows: readonly StatRow[],
  servers: readonly Layer7ServerEntry[],
): Map<string, ServerObservation> {
  const byProxy = new Map<string, StatRow>();
  for (const row of rows) if (row.type === 'server') byProxy.set(`${row.proxy}/${row.name}`, row);
  const observations = new Map<string, ServerObservation>();
  for (const entry of servers) {
    const row = byProxy.get(`${entry.service}/${entry.server}`);
    if (row === undefined) continue;
    const { health, reason } = healthOf(row, entry.checked);
    observations.set(serverKey({ layer: 'layer7', service: entry.service, server: entry.server }), {
      // HAProxy holds no idle connections to count as inactive: every session it has is active.
      activeConnections: row.currentSessions,
      inactiveConnections: 0,
      bytesIn: row.bytesIn,
      bytesOut: row.bytesOut,
      health,
      ...(reason === undefined ? {} : { healthReason: reason }),
      effectiveWeight: effectiveWeightOf(row),
    });
  }
  return observations;
}

/** `show stat` -> the Layer 7 statistics report (frontends, backends and servers; listeners left out). */
export function layer7StatRows(rows: readonly StatRow[]): Layer7StatRow[] {
  return rows
    .filter((row) => row.type !== 'listener')
    .map((row) => ({
      proxy: row.proxy,
      server: row.name,
      status: row.status,
      currentSessions: row.currentSessions,
      totalSessions: row.totalSessions,
      bytesIn: row.bytesIn,
      bytesOut: row.bytesOut,
    }));
}
