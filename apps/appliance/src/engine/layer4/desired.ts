/**
 * Layer 4 configuration -> the IPVS table it stands for. Pure: the driver plans this
 * against the kernel, the status view and the tests read it too.
 */
import { type DesiredService, type DestinationSpec, destinationId, type ServiceSpec, serviceId } from '@sluice/ipvs';
import { ApplianceError } from '../../errors.js';
import type { AdminState, RealServerRef } from '../../model/admin-state.js';
import type { HealthState } from '../../model/engine-status.js';
import { type ApplianceConfig, clusterMode, type Layer4RealServer, type Layer4Service } from '../../model/schema.js';

/** More IPVS services than this from one configured service is refused (a typo like 1-65000). */
export const MAX_PORTS_PER_SERVICE = 1024;

export type ServerState = (ref: RealServerRef) => { admin: AdminState; health: HealthState };

export interface Layer4Desired {
  services: DesiredService[];
  /** `${serviceId} ${destinationId}` -> the real server it stands for (absent: a fallback server). */
  owners: Map<string, RealServerRef>;
  /** serviceId -> the configured service's label. */
  labels: Map<string, string>;
}

const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

/**
 * The virtual ports of a service. Each port (and each port of a range) becomes its own IPVS
 * service, as ipvsadm users write them; a range of every port with persistence is IPVS's
 * port-0 service instead (one service, persistence across all ports, as the appliance's
 * "all ports" VIP). Ranges otherwise stop at MAX_PORTS_PER_SERVICE.
 */
export function virtualPorts(service: Layer4Service, field: string): number[] {
  const all = service.ports.some((p) => typeof p === 'object' && p.from === 1 && p.to === 65535);
  if (all) {
    if (!service.persistence) {
      throw new ApplianceError(
        'ENGINE_APPLY_FAILED',
        `${field}.ports: the range 1-65535 needs persistence (IPVS's all-ports service is persistent)`,
        { field: `${field}.ports` },
      );
    }
    return [0];
  }
  const ports = new Set<number>();
  for (const spec of service.ports) {
    const [from, to] = typeof spec === 'number' ? [spec, spec] : [spec.from, spec.to];
    if (ports.size + (to - from + 1) > MAX_PORTS_PER_SERVICE) {
      throw new ApplianceError(
        'ENGINE_APPLY_FAILED',
        `${field}.ports: more than ${MAX_PORTS_PER_SERVICE} ports (each is an IPVS service); use a firewall-mark service for wide ranges`,
        { field: `${field}.ports` },
      );
    }
    for (let p = from; p <= to; p++) ports.add(p);
  }
  return [...ports];
}

/**
 * The scheduler flags of a service. In an ECMP cluster, `mh` gets `fallback` (a failed real
 * server's weight 0 moves only its own flows) and `port` (one client's flows spread), unless
 * the service says otherwise; with persistence, no `port`: the source address alone then
 * picks the real server, the same on every node.
 */
function schedulerFlags(service: Layer4Service, ecmp: boolean): ServiceSpec['schedulerFlags'] {
  const given = service.schedulerFlags;
  if (given !== undefined) {
    return {
      ...(given.fallback === undefined ? {} : { fallback: given.fallback }),
      ...(given.port === undefined ? {} : { port: given.port }),
    };
  }
  if (!ecmp || service.scheduler !== 'mh') return undefined;
  return service.persistence ? { fallback: true } : { fallback: true, port: true };
}

/** The IPVS service keys and settings of one configured service (`ecmp`: part of an ECMP cluster). */
export function serviceSpecs(service: Layer4Service, field: string, ecmp = false): ServiceSpec[] {
  const flags = schedulerFlags(service, ecmp);
  const settings = {
    scheduler: service.scheduler,
    ...(flags === undefined ? {} : { schedulerFlags: flags }),
    ...(service.persistence
      ? {
          persistence: {
            timeout: service.persistence.timeoutSeconds,
            ...(service.persistence.granularity === undefined ? {} : { netmask: service.persistence.granularity }),
          },
        }
      : {}),
  };
  if (service.protocol === 'fwmark') {
    return [{ fwmark: service.fwmark ?? 0, family: familyOf(service.vip), ...settings }];
  }
  const protocols = service.protocol === 'both' ? (['tcp', 'udp'] as const) : [service.protocol];
  const ports = virtualPorts(service, field);
  return protocols.flatMap((protocol) => ports.map((port) => ({ protocol, address: service.vip, port, ...settings })));
}

/**
 * Configured weight online and healthy; 0 while drained or failed (ldirectord's quiescent);
 * null: removed (offline). In an ECMP cluster an offline server stays at weight 0: removing
 * it would change the `mh` table of its service and move some of the other servers' flows.
 */
export function effectiveWeight(
  server: Layer4RealServer,
  admin: AdminState,
  health: HealthState,
  ecmp = false,
): number | null {
  if (admin === 'offline') return ecmp ? 0 : null;
  if (admin === 'drain' || health === 'down') return 0;
  return server.weight;
}

/** A server that can take new connections: online and not failed. */
export function takesTraffic(admin: AdminState, health: HealthState): boolean {
  return admin === 'online' && health !== 'down';
}

function destination(
  service: Layer4Service,
  spec: ServiceSpec,
  server: Layer4RealServer,
  weight: number,
): DestinationSpec {
  // A port-0 or fwmark service forwards to the port the client asked for when the real server names none.
  const port = server.port ?? spec.port ?? 0;
  return {
    address: server.address,
    port,
    forwarding: service.forwarding,
    weight,
    upperThreshold: server.maxConnections,
    lowerThreshold: server.minConnections,
  };
}

/** The IPVS services of one configured service, with the real server behind each destination. */
export function desiredService(
  service: Layer4Service,
  field: string,
  state: ServerState,
  ecmp = false,
): { services: DesiredService[]; owners: [string, RealServerRef][] } {
  const services: DesiredService[] = [];
  const owners: [string, RealServerRef][] = [];
  const refs = service.realServers.map((server) => ({
    server,
    ref: { layer: 'layer4' as const, service: service.label, server: server.label },
  }));
  const states = refs.map(({ ref }) => state(ref));
  const anyTakesTraffic = states.some((s) => takesTraffic(s.admin, s.health));
  for (const spec of serviceSpecs(service, field, ecmp)) {
    const sid = serviceId(spec);
    const destinations: DestinationSpec[] = [];
    refs.forEach(({ server, ref }, j) => {
      const s = states[j] as { admin: AdminState; health: HealthState };
      const weight = effectiveWeight(server, s.admin, s.health, ecmp);
      if (weight === null) return;
      const d = destination(service, spec, server, weight);
      destinations.push(d);
      owners.push([`${sid} ${destinationId(d)}`, ref]);
    });
    if (!anyTakesTraffic && service.fallback) {
      // ldirectord's fallback: with no real server able to take traffic, the fallback
      // server does. DR and TUN cannot translate ports, so a fallback on another port is NAT.
      const port = service.fallback.port ?? spec.port ?? 0;
      const forwarding = port === (spec.port ?? 0) ? service.forwarding : 'nat';
      const fallback: DestinationSpec = { address: service.fallback.address, port, forwarding, weight: 1 };
      const id = destinationId(fallback);
      if (!destinations.some((d) => destinationId(d) === id)) destinations.push(fallback);
    }
    services.push({ ...spec, destinations });
  }
  return { services, owners };
}

/** The admin and health states of a service's servers, as a short string to compare. */
export function serverStates(service: Layer4Service, state: ServerState): string {
  let states = '';
  for (const server of service.realServers) {
    const s = state({ layer: 'layer4', service: service.label, server: server.label });
    states += `${s.admin}/${s.health},`;
  }
  return states;
}

/** Deep equality of two JSON values, without building strings (a config holds thousands of services). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
      return false;
  }
  return true;
}

export function desiredLayer4(config: ApplianceConfig, state: ServerState): Layer4Desired {
  const services: DesiredService[] = [];
  const owners = new Map<string, RealServerRef>();
  const labels = new Map<string, string>();
  const ecmp = clusterMode(config) === 'ecmp';
  config.layer4.forEach((service, i) => {
    const d = desiredService(service, `layer4[${i}]`, state, ecmp);
    for (const s of d.services) {
      services.push(s);
      labels.set(serviceId(s), service.label);
    }
    for (const [k, v] of d.owners) owners.set(k, v);
  });
  return { services, owners, labels };
}

/** `80`, `8000-8100`, `fwmark 7`: the ports of a service as the status shows them. */
export function portLabels(service: Layer4Service): string[] {
  if (service.protocol === 'fwmark') return [`fwmark ${service.fwmark ?? 0}`];
  return service.ports.map((p) => (typeof p === 'number' ? String(p) : `${p.from}-${p.to}`));
}
