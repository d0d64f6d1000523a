/**
 * What the Layer 4 part observes: per configured service, its real servers' counters and
 * the weight the kernel has. Kept per service, so that an apply replaces only the entries of
 * the services it changed (a one-server change costs one service, not ten thousand
 * servers), and a reading of the whole table is folded in service by service, with the
 * event loop free in between, while applies go on.
 */
import {
  type DesiredService,
  type Destination,
  destinationId,
  type ServiceWithDestinations,
  serviceId,
} from '@sluice/ipvs';
import type { RealServerRef } from '../../model/admin-state.js';
import type { Observations, ServerObservation } from '../driver.js';

/** A configured service as last applied: its IPVS services and who each destination stands for. */
export interface AppliedService {
  services: readonly DesiredService[];
  /** `${serviceId} ${destinationId}` -> the real server (a fallback server has none). */
  owners: readonly (readonly [string, RealServerRef])[];
}

/** real server label -> what was seen of it. */
type Servers = Map<string, ServerObservation>;

const PREFIX = 'layer4/';

export class Layer4Observations implements Observations {
  private readonly byService = new Map<string, Servers>();

  get(key: string): ServerObservation | undefined {
    if (!key.startsWith(PREFIX)) return undefined;
    // Labels hold no "/" (model/primitives.ts).
    const slash = key.indexOf('/', PREFIX.length);
    if (slash < 0) return undefined;
    return this.byService.get(key.slice(PREFIX.length, slash))?.get(key.slice(slash + 1));
  }

  *values(): MapIterator<ServerObservation> {
    for (const servers of this.byService.values()) yield* servers.values();
    return undefined;
  }

  *entries(): MapIterator<[string, ServerObservation]> {
    for (const [label, servers] of this.byService) {
      for (const [server, o] of servers) yield [`${PREFIX}${label}/${server}`, o];
    }
    return undefined;
  }

  forget(label: string): void {
    this.byService.delete(label);
  }

  clear(): void {
    this.byService.clear();
  }

  /**
   * A service as applied: the weights the kernel acknowledged, the counters of the last
   * reading, from `read` (a table read just before) or else from what was seen before.
   */
  applied(label: string, service: AppliedService, read?: ReadonlyMap<string, ServiceWithDestinations>): void {
    const before = this.byService.get(label);
    const owners = new Map(service.owners);
    const servers: Servers = new Map();
    for (const s of service.services) {
      const sid = serviceId(s);
      const kernel = read?.get(sid)?.destinations;
      for (const d of s.destinations) {
        const ref = owners.get(`${sid} ${destinationId(d)}`);
        if (ref === undefined) continue;
        const weight = d.weight ?? 1;
        if (read === undefined) {
          // Counters are per server, summed over its ports: carried once, not per port.
          if (servers.has(ref.server)) continue;
          const old = before?.get(ref.server);
          servers.set(ref.server, {
            activeConnections: old?.activeConnections ?? 0,
            inactiveConnections: old?.inactiveConnections ?? 0,
            bytesIn: old?.bytesIn ?? 0,
            bytesOut: old?.bytesOut ?? 0,
            effectiveWeight: weight,
          });
        } else {
          const id = destinationId(d);
          add(
            servers,
            ref.server,
            kernel?.find((k) => destinationId(k) === id),
            weight,
          );
        }
      }
    }
    this.byService.set(label, servers);
  }

  /** A service as the kernel shows it in a reading (what is there, whatever was applied). */
  read(label: string, service: AppliedService, read: ReadonlyMap<string, ServiceWithDestinations>): void {
    const owners = new Map(service.owners);
    const servers: Servers = new Map();
    for (const s of service.services) {
      const sid = serviceId(s);
      for (const d of read.get(sid)?.destinations ?? []) {
        const ref = owners.get(`${sid} ${destinationId(d)}`);
        if (ref !== undefined) add(servers, ref.server, d, d.weight);
      }
    }
    this.byService.set(label, servers);
  }
}

function add(servers: Servers, server: string, d: Destination | undefined, weight: number): void {
  const o = servers.get(server);
  const active = d?.activeConnections ?? 0;
  const inactive = d?.inactiveConnections ?? 0;
  const bytesIn = d === undefined ? 0 : Number(d.stats.inBytes);
  const bytesOut = d === undefined ? 0 : Number(d.stats.outBytes);
  if (o === undefined) {
    servers.set(server, {
      activeConnections: active,
      inactiveConnections: inactive,
      bytesIn,
      bytesOut,
      effectiveWeight: weight,
    });
  } else {
    o.activeConnections += active;
    o.inactiveConnections += inactive;
    o.bytesIn += bytesIn;
    o.bytesOut += bytesOut;
  }
}
