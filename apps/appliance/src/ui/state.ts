import type { EngineStatus } from '../model/engine-status.js';
import type { HaStatus } from '../model/ha-status.js';
import type { ApplianceConfig } from '../model/schema.js';
import { api, apiUrl } from './api.js';

export interface Session {
  user: string;
  role: string;
  mustChangePassword: boolean;
  csrfToken?: string;
}

export interface StatusSnapshot {
  ha: HaStatus;
  engine: EngineStatus;
  configVersion: number;
}

export const state: { session: Session | undefined; status: StatusSnapshot | undefined } = {
  session: undefined,
  status: undefined,
};

/** The current configuration and its version (the base of the next write). */
export async function loadConfig(): Promise<{ version: number; config: ApplianceConfig }> {
  return api.get<{ version: number; config: ApplianceConfig }>('/config');
}

type StatusListener = (status: StatusSnapshot) => void;
const statusListeners = new Set<StatusListener>();
let events: EventSource | undefined;
/** Pushed statuses so far: a fetched one older than the last push must not replace it. */
let pushed = 0;

/**
 * One live status stream for the whole page (the status bar and the overview share it):
 * the API pushes `event: status` whenever a health check, admin state, apply or HA role
 * changes. EventSource reconnects by itself when the connection drops.
 */
export function watchStatus(listener: StatusListener): () => void {
  statusListeners.add(listener);
  if (state.status) listener(state.status);
  if (events === undefined) {
    events = new EventSource(apiUrl('/status/events'));
    events.addEventListener('status', (event) => {
      pushed++;
      state.status = JSON.parse((event as MessageEvent<string>).data) as StatusSnapshot;
      for (const l of statusListeners) l(state.status);
    });
  }
  return () => statusListeners.delete(listener);
}

export function stopStatus(): void {
  events?.close();
  events = undefined;
  state.status = undefined;
}

/** Fetch the status once (before the stream's first event, and after actions). */
export async function refreshStatus(): Promise<void> {
  const before = pushed;
  const status = await api.get<StatusSnapshot>('/status');
  if (pushed !== before) return;
  state.status = status;
  for (const l of statusListeners) l(status);
}
