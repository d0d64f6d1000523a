import { type LabTopology, labDown, labUp } from '../../../src/lab/index.js';
import type { Layer } from '../../../src/model/admin-state.js';
import type { EngineStatus, RealServerStatus } from '../../../src/model/engine-status.js';
import type { HaStatus } from '../../../src/model/ha-status.js';
import type { ApiClient } from './api.js';
import type { Tally } from './traffic.js';

/** The tests' own prefix: a user's `sluice-lab-` lab on a host with IPVS is never touched. */
export const E2E_PREFIX = 'sluice-e2e-';

/** Builds the lab from scratch (removing one a crashed run left); TUN must be possible here. */
export async function freshLab(pair = false): Promise<LabTopology> {
  await labDown({ prefix: E2E_PREFIX });
  const { topology, tunnel } = await labUp({ prefix: E2E_PREFIX, pair });
  if (!tunnel) throw new Error('the lab could not put the TUN VIP on tunl0: this kernel has no ipip');
  return topology;
}

export async function removeLab(): Promise<void> {
  await labDown({ prefix: E2E_PREFIX });
}

export interface StatusBody {
  ha: HaStatus;
  engine: EngineStatus;
  configVersion: number;
}

export async function serverStatus(
  api: ApiClient,
  layer: Layer,
  service: string,
  server: string,
): Promise<RealServerStatus | undefined> {
  const status = await api.get<StatusBody>('/status');
  return status.engine.services
    .find((s) => s.layer === layer && s.label === service)
    ?.realServers.find((rs) => rs.label === server);
}

export const PAGES = ['alpha_server', 'bravo_server', 'charlie_server'];

/** Every named server answered, the counts at most one apart (round robin), nothing failed. */
export function balancedOver(t: Tally, pages: readonly string[]): boolean {
  const counts = pages.map((p) => t.names[p] ?? 0);
  const others = Object.keys(t.names).filter((n) => !pages.includes(n));
  return (
    t.errors === 0 && others.length === 0 && Math.min(...counts) > 0 && Math.max(...counts) - Math.min(...counts) <= 1
  );
}
