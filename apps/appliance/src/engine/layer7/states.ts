import type { ServerState } from '@sluice/haproxy-config';
import type { AdminState } from '../../model/admin-state.js';
import type { Layer7ServerEntry } from './model.js';

type HaproxyAdmin = 'ready' | 'drain' | 'maint';

export const HAPROXY_ADMIN: Readonly<Record<AdminState, HaproxyAdmin>> = {
  online: 'ready',
  drain: 'drain',
  offline: 'maint',
};

export type RuntimeAction =
  | { kind: 'state'; service: string; server: string; from: HaproxyAdmin; to: HaproxyAdmin; admin: AdminState }
  | { kind: 'weight'; service: string; server: string; from: number; to: number };

/**
 * What the runtime API must change so that HAProxy's servers have the admin states and
 * weights asked for: `set server <b>/<s> state ready|drain|maint`, `set weight`. Servers
 * HAProxy does not know (yet) are left out; a reload adds them.
 */
export function planRuntime(
  entries: readonly Layer7ServerEntry[],
  actual: readonly ServerState[],
  desired: (entry: Layer7ServerEntry) => AdminState,
): RuntimeAction[] {
  const byName = new Map(actual.map((s) => [`${s.backend}/${s.server}`, s]));
  const actions: RuntimeAction[] = [];
  for (const entry of entries) {
    const state = byName.get(`${entry.service}/${entry.server}`);
    if (state === undefined) continue;
    const admin = desired(entry);
    const to = HAPROXY_ADMIN[admin];
    const base = { service: entry.service, server: entry.server };
    // Out of maintenance last and into it first: a server never takes traffic at a weight not yet set.
    if (to === 'maint' && state.adminState !== 'maint') {
      actions.push({ kind: 'state', ...base, from: state.adminState, to, admin });
    }
    if (state.userWeight !== entry.weight) {
      actions.push({ kind: 'weight', ...base, from: state.userWeight, to: entry.weight });
    }
    if (to !== 'maint' && state.adminState !== to) {
      actions.push({ kind: 'state', ...base, from: state.adminState, to, admin });
    }
  }
  return actions;
}

export function describeAction(action: RuntimeAction): string {
  const target = `${action.service}/${action.server}`;
  if (action.kind === 'weight') return `layer7: set weight ${target} ${action.from} -> ${action.to}`;
  return `layer7: ${target} ${action.admin} (HAProxy state ${action.from} -> ${action.to}, no reload)`;
}
