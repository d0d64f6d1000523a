/**
 * Layer 7 under the names of HAProxy's own Prometheus exporter (addons/promex), rendered
 * from the `show stat` the Layer 7 driver already reads every couple of seconds. Enabling
 * promex instead would mean a second listener on HAProxy (a port to open, secure and keep
 * out of the user's configuration) and a second scrape target with no login; rendering
 * what we read keeps one target behind the appliance's API tokens, at no extra cost to
 * HAProxy. Only a subset of promex's families is rendered: those `show stat` carries and a
 * dashboard charts (sessions, bytes, status, checks, weight).
 */
import type { StatRow } from '@sluice/haproxy-config';
import type { Exposition, Labels } from './exposition.js';

/** promex's server states, in its order. */
const SERVER_STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;
/** The check statuses promex lists (those of a finished check: HAProxy's check result at least "failed"). */
const CHECK_STATES = [
  'HANA',
  'SOCKERR',
  'L4OK',
  'L4TOUT',
  'L4CON',
  'L6OK',
  'L6TOUT',
  'L6RSP',
  'L7TOUT',
  'L7RSP',
  'L7OK',
  'L7OKC',
  'L7STS',
  'PROCERR',
  'PROCTOUT',
  'PROCOK',
] as const;

function numberOf(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** As promex: maintenance wins; a running server is UP (or DRAIN); a stopping one NOLB; else DOWN. */
export function serverState(status: string): (typeof SERVER_STATES)[number] {
  const s = status.toUpperCase();
  if (s.startsWith('MAINT')) return 'MAINT';
  if (s.startsWith('DRAIN')) return 'DRAIN';
  if (s.startsWith('NOLB')) return 'NOLB';
  if (s.startsWith('UP') || s.startsWith('NO CHECK')) return 'UP';
  return 'DOWN';
}

function traffic(out: Exposition, kind: 'frontend' | 'backend' | 'server', labels: Labels, row: StatRow): void {
  const what = kind === 'frontend' ? 'the frontend' : kind === 'backend' ? 'the backend' : 'the server';
  out.add(
    `haproxy_${kind}_current_sessions`,
    'gauge',
    `Number of current sessions on ${what}.`,
    labels,
    row.currentSessions,
  );
  out.add(
    `haproxy_${kind}_max_sessions`,
    'gauge',
    `Maximum observed number of sessions on ${what}.`,
    labels,
    row.maxSessions,
  );
  out.add(
    `haproxy_${kind}_sessions_total`,
    'counter',
    `Total number of sessions on ${what} since HAProxy started.`,
    labels,
    row.totalSessions,
  );
  out.add(
    `haproxy_${kind}_bytes_in_total`,
    'counter',
    'Total number of request bytes since HAProxy started.',
    labels,
    row.bytesIn,
  );
  out.add(
    `haproxy_${kind}_bytes_out_total`,
    'counter',
    'Total number of response bytes since HAProxy started.',
    labels,
    row.bytesOut,
  );
}

export function renderHaproxy(out: Exposition, rows: readonly StatRow[]): void {
  for (const row of rows) {
    if (row.type === 'frontend') {
      const labels = { proxy: row.proxy };
      const up = !/^STOP/i.test(row.status);
      for (const state of ['DOWN', 'UP'] as const) {
        out.add(
          'haproxy_frontend_status',
          'gauge',
          'Current status of the service, per state label value.',
          { ...labels, state },
          (state === 'UP') === up ? 1 : 0,
        );
      }
      traffic(out, 'frontend', labels, row);
    } else if (row.type === 'backend') {
      const labels = { proxy: row.proxy };
      const up = /^UP/i.test(row.status);
      for (const state of ['DOWN', 'UP'] as const) {
        out.add(
          'haproxy_backend_status',
          'gauge',
          'Current status of the service, per state label value.',
          { ...labels, state },
          (state === 'UP') === up ? 1 : 0,
        );
      }
      traffic(out, 'backend', labels, row);
      out.add(
        'haproxy_backend_weight',
        'gauge',
        "Sum of the active servers' effective weights.",
        labels,
        row.weight ?? 0,
      );
      const active = numberOf(row.raw.act);
      if (active !== undefined)
        out.add(
          'haproxy_backend_active_servers',
          'gauge',
          'Total number of active UP servers with a non-zero weight.',
          labels,
          active,
        );
    } else if (row.type === 'server') {
      const labels = { proxy: row.proxy, server: row.name };
      const current = serverState(row.status);
      for (const state of SERVER_STATES) {
        out.add(
          'haproxy_server_status',
          'gauge',
          'Current status of the service, per state label value.',
          { ...labels, state },
          state === current ? 1 : 0,
        );
      }
      traffic(out, 'server', labels, row);
      out.add('haproxy_server_weight', 'gauge', "The server's effective weight.", labels, row.weight ?? 0);
      // A server without a check has no check figures (promex leaves them out too).
      const check = (row.raw.check_status ?? '').replace(/^\*\s*/, '').trim();
      if (check === '') continue;
      for (const state of CHECK_STATES) {
        out.add(
          'haproxy_server_check_status',
          'gauge',
          'Status of last health check, per state label value.',
          { ...labels, state },
          state === check ? 1 : 0,
        );
      }
      const duration = numberOf(row.raw.check_duration);
      if (duration !== undefined)
        out.add(
          'haproxy_server_check_duration_seconds',
          'gauge',
          'Total duration of the latest server health check, in seconds.',
          labels,
          duration / 1000,
        );
      const failures = numberOf(row.raw.chkfail);
      if (failures !== undefined)
        out.add(
          'haproxy_server_check_failures_total',
          'counter',
          'Total number of failed individual health checks.',
          labels,
          failures,
        );
    }
  }
}
