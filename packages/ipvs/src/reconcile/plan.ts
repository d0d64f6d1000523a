import type { ServiceWithSettings } from '../client.js';
import { invalid } from '../errors.js';
import { canonicalAddress } from '../inet.js';
import { serviceFlags } from '../kernel/codec.js';
import type { Operation } from '../operations.js';
import type { DestinationSettings, DestinationSpec, Family, ServiceSpec } from '../types.js';
import { validateDestination, validateService } from '../validate.js';
import { destinationId, keyOf, serviceId } from './keys.js';

/** A service as declared: its settings and every real server it should have. */
export type DesiredService = ServiceSpec & { destinations: readonly DestinationSpec[] };

export interface PlanOptions {
  /**
   * `declared` (default): services nobody declared are left alone, as other tools may own
   * them. `all`: the reconcile owns the whole table and deletes what was not declared.
   */
  owns?: 'declared' | 'all';
}

export interface PlanItem {
  operation: Operation;
  /** For edits: the fields that change, `[before, after]`, for the human-readable diff. */
  changes?: Record<string, [unknown, unknown]>;
}

export interface Plan {
  items: PlanItem[];
}

/**
 * Validates without building a field path per entry (100,000 of them for a large table);
 * on failure the check runs again with the path, so the error names the exact field.
 */
function checked(fast: () => unknown, withPath: () => unknown): void {
  try {
    fast();
  } catch {
    withPath();
  }
}

function serviceSettings(s: ServiceSpec, family: Family) {
  return {
    scheduler: s.scheduler ?? 'wlc',
    flags: serviceFlags(s),
    timeout: s.persistence?.timeout ?? 0,
    netmask: s.persistence ? (s.persistence.netmask ?? (family === 4 ? 32 : 128)) : 0,
    persistenceEngine: s.persistenceEngine ?? '',
  };
}

/** Normalized as the kernel reports it: tun without options is ipip, gue/gre default to no checksum. */
function tunnelOf(d: DestinationSpec | DestinationSettings): string {
  if (d.forwarding !== 'tun') return '';
  const t = d.tunnel ?? { type: 'ipip' as const };
  return t.type === 'ipip' ? 'ipip' : `${t.type}:${t.port ?? 0}/${t.checksum ?? 'none'}`;
}

function destinationSettings(d: DestinationSpec | DestinationSettings) {
  return {
    forwarding: d.forwarding ?? 'dr',
    weight: d.weight ?? 1,
    upperThreshold: d.upperThreshold ?? 0,
    lowerThreshold: d.lowerThreshold ?? 0,
    tunnel: tunnelOf(d),
  };
}

/** The changes of one real server, or undefined; compared field by field first, as most are equal. */
function destinationChanges(
  have: DestinationSettings,
  want: DestinationSpec,
): Record<string, [unknown, unknown]> | undefined {
  if (
    have.forwarding === (want.forwarding ?? 'dr') &&
    have.weight === (want.weight ?? 1) &&
    have.upperThreshold === (want.upperThreshold ?? 0) &&
    have.lowerThreshold === (want.lowerThreshold ?? 0) &&
    (have.forwarding !== 'tun' || tunnelOf(have) === tunnelOf(want))
  ) {
    return undefined;
  }
  return diff(destinationSettings(have), destinationSettings(want));
}

function diff<T extends Record<string, unknown>>(before: T, after: T): Record<string, [unknown, unknown]> | undefined {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const field of Object.keys(after)) {
    if (before[field] !== after[field]) changes[field] = [before[field], after[field]];
  }
  return Object.keys(changes).length > 0 ? changes : undefined;
}

/** Real servers a service may have before matching them by map instead of by scan. */
const SCAN_LIMIT = 16;

/** Canonical address text of each entry, into `out` (reused from service to service). */
function canonicals(dests: readonly { address: string }[], out: string[]): string[] {
  out.length = dests.length;
  for (let j = 0; j < dests.length; j++) out[j] = canonicalAddress((dests[j] as { address: string }).address);
  return out;
}

/**
 * Pairs each wanted real server with the one the kernel has (by address and port), as
 * indexes into `have` (-1 for none). A service has few real servers and the kernel lists
 * them in the order they were added or the reverse, so the same or the mirrored position
 * is tried before a scan; large services use a map. No key string per real server: a
 * no-op reconcile of 100,000 of them spent most of its time building and hashing those.
 */
function matchDestinations(
  want: readonly DestinationSpec[],
  wantAddr: readonly string[],
  have: readonly DestinationSettings[],
  haveAddr: readonly string[],
  out: number[],
): number[] {
  out.length = want.length;
  if (have.length > SCAN_LIMIT) {
    const byId = new Map<string, number>();
    for (let k = 0; k < have.length; k++) byId.set(`${haveAddr[k]} ${(have[k] as DestinationSettings).port}`, k);
    for (let j = 0; j < want.length; j++)
      out[j] = byId.get(`${wantAddr[j]} ${(want[j] as DestinationSpec).port}`) ?? -1;
    return out;
  }
  const same = (j: number, k: number) =>
    k >= 0 &&
    k < have.length &&
    haveAddr[k] === wantAddr[j] &&
    (have[k] as DestinationSettings).port === (want[j] as DestinationSpec).port;
  for (let j = 0; j < want.length; j++) {
    let found = -1;
    if (same(j, j)) found = j;
    else if (same(j, have.length - 1 - j)) found = have.length - 1 - j;
    else for (let k = 0; k < have.length && found < 0; k++) if (same(j, k)) found = k;
    out[j] = found;
  }
  return out;
}

/** Throws for a real server declared twice in one service (same address and port). */
function checkUnique(want: readonly DestinationSpec[], wantAddr: readonly string[], id: string, i: number): void {
  const twice = (j: number) => {
    const d = want[j] as DestinationSpec;
    throw invalid(`services[${i}].destinations[${j}]`, `${destinationId(d)} is declared twice in ${id}`);
  };
  if (want.length > SCAN_LIMIT) {
    const ids = new Set<string>();
    for (let j = 0; j < want.length; j++) {
      const key = `${wantAddr[j]} ${(want[j] as DestinationSpec).port}`;
      if (ids.has(key)) twice(j);
      ids.add(key);
    }
    return;
  }
  for (let j = 1; j < want.length; j++) {
    for (let k = 0; k < j; k++) {
      if (wantAddr[k] === wantAddr[j] && (want[k] as DestinationSpec).port === (want[j] as DestinationSpec).port)
        twice(j);
    }
  }
}

/**
 * The smallest list of changes that turns `actual` into `desired`. A changed service or
 * real server is edited in place (SET), never deleted and re-added, so its connections
 * survive. New real servers are added before old ones are removed, so capacity never
 * dips during the change. Everything is validated before anything is planned.
 */
export function plan(
  desired: readonly DesiredService[],
  actual: readonly ServiceWithSettings[],
  options: PlanOptions = {},
): Plan {
  const seen = new Set<string>();
  const wantAddr: string[] = [];
  desired.forEach((service, i) => {
    checked(
      () => validateService(service),
      () => validateService(service, `services[${i}]`),
    );
    const id = serviceId(service);
    if (seen.has(id)) throw invalid(`services[${i}]`, `${id} is declared twice`);
    seen.add(id);
    service.destinations.forEach((d, j) => {
      checked(
        () => validateDestination(d, service),
        () => validateDestination(d, service, `services[${i}].destinations[${j}]`),
      );
    });
    checkUnique(service.destinations, canonicals(service.destinations, wantAddr), id, i);
  });
  const actualById = new Map(actual.map((s) => [serviceId(s), s]));
  const adds: PlanItem[] = [];
  const edits: PlanItem[] = [];
  const destAdds: PlanItem[] = [];
  const destEdits: PlanItem[] = [];
  const destDeletes: PlanItem[] = [];
  const deletes: PlanItem[] = [];
  const haveAddr: string[] = [];
  const matched: number[] = [];
  let used = new Uint8Array(64);

  for (const want of desired) {
    const destinations = want.destinations;
    const key = keyOf(want);
    const have = actualById.get(serviceId(want));
    if (!have) {
      const { destinations: _, ...spec } = want;
      adds.push({ operation: { op: 'add-service', service: spec } });
      for (const d of destinations)
        destAdds.push({ operation: { op: 'add-destination', service: key, destination: d } });
      continue;
    }
    const changes = diff(serviceSettings(have, have.family), serviceSettings(want, have.family));
    if (changes) {
      const { destinations: _, ...spec } = want;
      edits.push({ operation: { op: 'edit-service', service: spec }, changes });
    }
    const haveDests = have.destinations;
    const pairs = matchDestinations(
      destinations,
      canonicals(destinations, wantAddr),
      haveDests,
      canonicals(haveDests, haveAddr),
      matched,
    );
    if (used.length < haveDests.length) used = new Uint8Array(haveDests.length * 2);
    used.fill(0, 0, haveDests.length);
    for (let j = 0; j < destinations.length; j++) {
      const d = destinations[j] as DestinationSpec;
      const k = pairs[j] as number;
      if (k < 0) {
        destAdds.push({ operation: { op: 'add-destination', service: key, destination: d } });
        continue;
      }
      used[k] = 1;
      const destChanges = destinationChanges(haveDests[k] as DestinationSettings, d);
      if (destChanges)
        destEdits.push({ operation: { op: 'edit-destination', service: key, destination: d }, changes: destChanges });
    }
    for (let k = 0; k < haveDests.length; k++) {
      if (used[k]) continue;
      const d = haveDests[k] as DestinationSettings;
      destDeletes.push({
        operation: { op: 'delete-destination', service: key, destination: { address: d.address, port: d.port } },
      });
    }
  }
  if (options.owns === 'all') {
    for (const [id, have] of actualById) {
      if (!seen.has(id)) deletes.push({ operation: { op: 'delete-service', service: keyOf(have) } });
    }
  }
  return { items: [...adds, ...edits, ...destAdds, ...destEdits, ...destDeletes, ...deletes] };
}
