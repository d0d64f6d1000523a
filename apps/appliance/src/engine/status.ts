/**
 * The appliance's status view: each virtual service and real server with its colour, from
 * the configuration, admin states, health and what the drivers observe.
 */

import type { AdminState, Layer, RealServerRef } from '../model/admin-state.js';
import type {
  Colour,
  HealthState,
  PartStatus,
  RealServerStatus,
  TerminationStatus,
  VirtualServiceStatus,
} from '../model/engine-status.js';
import type { ApplianceConfig } from '../model/schema.js';
import type { ServerObservation } from './driver.js';
import { serverKey } from './driver.js';
import { portLabels, takesTraffic } from './layer4/desired.js';

/**
 * Blue: deliberately out (offline or drain); red: failed; green: a check says up; yellow:
 * checked but no result yet; grey: no check (it takes traffic, but nothing says it answers:
 * a stopped server would look the same, so it is never shown healthy).
 */
export function serverColour(admin: AdminState, health: HealthState): Colour {
  if (admin !== 'online') return 'blue';
  if (health === 'down') return 'red';
  if (health === 'unknown') return 'yellow';
  if (health === 'unchecked') return 'grey';
  return 'green';
}

/**
 * A VIP is blue when every server is blue, green when every server is green, grey when its
 * servers are green or grey and at least one is grey (unchecked: not known to be healthy),
 * red when no server can take new connections (also while the fallback server takes them:
 * the VIP is down as far as its own servers go, `fallbackActive` says the fallback serves),
 * else yellow. A VIP without real servers is red. A green or grey VIP whose part failed to
 * apply is yellow.
 */
export function serviceColour(
  servers: readonly { colour: Colour; admin: AdminState; health: HealthState }[],
  partOk: boolean,
): Colour {
  if (servers.length === 0) return 'red';
  if (servers.every((s) => s.colour === 'blue')) return 'blue';
  if (!servers.some((s) => takesTraffic(s.admin, s.health))) return 'red';
  if (!partOk) return 'yellow';
  if (servers.every((s) => s.colour === 'green')) return 'green';
  if (servers.every((s) => s.colour === 'green' || s.colour === 'grey')) return 'grey';
  return 'yellow';
}

export interface StatusInputs {
  config: ApplianceConfig;
  admin(ref: RealServerRef): AdminState;
  /** Health as the engine knows it (Layer 4 checks); undefined: no check. */
  health(ref: RealServerRef): { state: HealthState; reason?: string } | undefined;
  observations: Pick<ReadonlyMap<string, ServerObservation>, 'get'>;
  parts: readonly PartStatus[];
}

function serverStatus(
  layer: Layer,
  service: string,
  server: { label: string; address: string; port?: number | undefined; weight: number },
  inputs: StatusInputs,
): RealServerStatus {
  const ref = { layer, service, server: server.label };
  const admin = inputs.admin(ref);
  const observed = inputs.observations.get(serverKey(ref));
  const checked = layer === 'layer4' ? inputs.health(ref) : undefined;
  const health: HealthState = checked?.state ?? observed?.health ?? 'unchecked';
  const reason = checked?.reason ?? observed?.healthReason;
  const expected = admin !== 'online' || health === 'down' ? 0 : server.weight;
  return {
    label: server.label,
    address: server.address,
    port: server.port ?? null,
    admin,
    health,
    ...(health === 'down' && reason ? { healthReason: reason } : {}),
    colour: serverColour(admin, health),
    weight: server.weight,
    effectiveWeight: observed?.effectiveWeight ?? (admin === 'offline' ? 0 : expected),
    activeConnections: observed?.activeConnections ?? 0,
    inactiveConnections: observed?.inactiveConnections ?? 0,
    bytesIn: observed?.bytesIn ?? 0,
    bytesOut: observed?.bytesOut ?? 0,
  };
}

function vipStatus(
  layer: Layer,
  service: {
    label: string;
    vip: string;
    fallback?: unknown;
    realServers: readonly { label: string; address: string; port?: number | undefined; weight: number }[];
  },
  ports: string[],
  protocol: string,
  inputs: StatusInputs,
): VirtualServiceStatus {
  const realServers = service.realServers.map((s) => serverStatus(layer, service.label, s, inputs));
  const part = inputs.parts.find((p) => p.part === layer);
  const partOk = !part || part.state === 'applied';
  const anyTakes = realServers.some((s) => takesTraffic(s.admin, s.health));
  const sum = (f: (s: RealServerStatus) => number) => realServers.reduce((n, s) => n + f(s), 0);
  return {
    layer,
    label: service.label,
    vip: service.vip,
    ports,
    protocol,
    colour: serviceColour(realServers, partOk),
    fallbackActive: !anyTakes && service.fallback !== undefined,
    realServers,
    connections: sum((s) => s.activeConnections + s.inactiveConnections),
    bytesIn: sum((s) => s.bytesIn),
    bytesOut: sum((s) => s.bytesOut),
  };
}

/**
 * Each SSL termination's HTTPS listener, in the colour of the Layer 7 service it feeds
 * (HAProxy runs both, so that colour already says whether Layer 7 applied); red when no
 * such service exists.
 */
export function buildTerminations(
  config: Pick<ApplianceConfig, 'ssl'>,
  services: readonly VirtualServiceStatus[],
): TerminationStatus[] {
  const layer7 = new Map(services.filter((s) => s.layer === 'layer7').map((s) => [s.label, s.colour]));
  return config.ssl.map((t) => ({
    label: t.label,
    vip: t.vip,
    port: t.port,
    certificate: t.certificate,
    service: t.service,
    colour: layer7.get(t.service) ?? 'red',
  }));
}

export function buildServices(inputs: StatusInputs): VirtualServiceStatus[] {
  return [
    ...inputs.config.layer4.map((s) => vipStatus('layer4', s, portLabels(s), s.protocol, inputs)),
    ...inputs.config.layer7.map((s) =>
      vipStatus(
        'layer7',
        s,
        s.ports.map((p) => (typeof p === 'number' ? String(p) : `${p.from}-${p.to}`)),
        s.mode,
        inputs,
      ),
    ),
  ];
}
