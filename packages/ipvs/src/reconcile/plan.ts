import type { ServiceWithSettings } from '../client.js';
import { invalid } from '../errors.js';
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
  desired.forEach((service, i) => {
    checked(
      () => validateService(service),
      () => validateService(service, `services[${i}]`),
    );
    const id = serviceId(service);
    if (seen.has(id)) throw invalid(`services[${i}]`, `${id} is declared twice`);
    seen.add(id);
    const dests = new Set<string>();
    service.destinations.forEach((d, j) => {
      const field = () => `services[${i}].destinations[${j}]`;
      checked(
        () => validateDestination(d, service),
        () => validateDestination(d, service, field()),
      );
      const destId = destinationId(d);
      if (dests.has(destId)) throw invalid(field(), `${destId} is declared twice in ${id}`);
      dests.add(destId);
    });
  });
  const actualById = new Map(actual.map((s) => [serviceId(s), s]));
  const adds: PlanItem[] = [];
  const edits: PlanItem[] = [];
  const destAdds: PlanItem[] = [];
  const destEdits: PlanItem[] = [];
  const destDeletes: PlanItem[] = [];
  const deletes: PlanItem[] = [];

  for (const want of desired) {
    const { destinations, ...spec } = want;
    const key = keyOf(want);
    const have = actualById.get(serviceId(want));
    if (!have) {
      adds.push({ operation: { op: 'add-service', service: spec } });
      for (const d of destinations)
        destAdds.push({ operation: { op: 'add-destination', service: key, destination: d } });
      continue;
    }
    const changes = diff(serviceSettings(have, have.family), serviceSettings(spec, have.family));
    if (changes) edits.push({ operation: { op: 'edit-service', service: spec }, changes });
    const haveDests = new Map(have.destinations.map((d) => [destinationId(d), d]));
    const wantIds = new Set<string>();
    for (const d of destinations) {
      const id = destinationId(d);
      wantIds.add(id);
      const current = haveDests.get(id);
      if (!current) {
        destAdds.push({ operation: { op: 'add-destination', service: key, destination: d } });
        continue;
      }
      const destChanges = destinationChanges(current, d);
      if (destChanges)
        destEdits.push({ operation: { op: 'edit-destination', service: key, destination: d }, changes: destChanges });
    }
    for (const [id, d] of haveDests) {
      if (!wantIds.has(id)) {
        destDeletes.push({
          operation: { op: 'delete-destination', service: key, destination: { address: d.address, port: d.port } },
        });
      }
    }
  }
  if (options.owns === 'all') {
    for (const [id, have] of actualById) {
      if (!seen.has(id)) deletes.push({ operation: { op: 'delete-service', service: keyOf(have) } });
    }
  }
  return { items: [...adds, ...edits, ...destAdds, ...destEdits, ...destDeletes, ...deletes] };
}
