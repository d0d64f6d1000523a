/**
 * Which VIPs an ECMP node announces, and why. A router sends a flow to any node that
 * announces its VIP, so a node announces only what it can serve now: a VIP none of whose
 * services has a real server able to take traffic is withdrawn, and so is everything while
 * the node is held (drained, stale) or half-applied.
 */
import { addressBits } from '../../model/addresses.js';
import type { AdminState, RealServerRef } from '../../model/admin-state.js';
import type { BgpVipStatus, EnginePart, HealthState, PartStatus } from '../../model/engine-status.js';
import type { ApplianceConfig } from '../../model/schema.js';
import { takesTraffic } from '../layer4/desired.js';

export type ServerStateOf = (ref: RealServerRef) => { admin: AdminState; health: HealthState };

export interface VipStateInput {
  config: Pick<ApplianceConfig, 'layer4' | 'layer7' | 'ssl'>;
  server: ServerStateOf;
  /** The other parts' states now; a failed one withdraws everything, an unavailable one its VIPs. */
  partState?: (part: EnginePart) => PartStatus['state'] | undefined;
  /** `stale: ...` when the node must not serve (NodeHold.stale). */
  stale?: string | undefined;
  /** The drain's phase: none, within drainSeconds (GSHUT), or over (withdrawn). */
  drain: 'none' | 'draining' | 'drained';
}

/** The parts whose failure leaves the data plane half-applied. */
const DATA_PARTS: readonly EnginePart[] = ['health', 'addresses', 'layer4', 'layer7'];

/** Whether a service has a real server (or a fallback server) that takes traffic now. */
function serving(
  layer: 'layer4' | 'layer7',
  service: { label: string; fallback?: unknown; realServers: readonly { label: string }[] },
  server: ServerStateOf,
): boolean {
  // The fallback takes the traffic when every real server is down: the service still answers.
  if (service.fallback !== undefined) return true;
  return service.realServers.some((rs) => {
    const s = server({ layer, service: service.label, server: rs.label });
    return takesTraffic(s.admin, s.health);
  });
}

/**
 * Every VIP of the configuration once (first seen order: Layer 4, Layer 7, SSL), with the
 * state this node announces it in.
 */
export function vipStates(input: VipStateInput): BgpVipStatus[] {
  const { config, server } = input;
  const failed = DATA_PARTS.find((p) => input.partState?.(p) === 'failed');
  const held =
    input.stale !== undefined
      ? `stale: ${input.stale}`
      : failed !== undefined
        ? `apply-failed: ${failed}`
        : input.drain === 'drained'
          ? 'drained'
          : undefined;
  // Per VIP (one entry per address however it is spelt, as BIRD takes each prefix once):
  // whether some service on it serves, or why none does.
  const byVip = new Map<string, { address: string; serves: boolean; why: string }>();
  const note = (vip: string, serves: boolean, why: string) => {
    const bits = addressBits(vip);
    const key = bits === undefined ? vip : `${bits.family}/${bits.value}`;
    const known = byVip.get(key);
    if (known === undefined) byVip.set(key, { address: vip, serves, why });
    else if (serves && !known.serves) byVip.set(key, { address: known.address, serves, why });
  };
  const unavailable = (part: EnginePart) => input.partState?.(part) === 'unavailable';
  for (const s of config.layer4) {
    if (unavailable('layer4')) note(s.vip, false, 'unavailable: layer4');
    else note(s.vip, serving('layer4', s, server), 'no-healthy-real-server');
  }
  const layer7 = new Map(config.layer7.map((s) => [s.label, s]));
  for (const s of config.layer7) {
    if (unavailable('layer7')) note(s.vip, false, 'unavailable: layer7');
    else note(s.vip, serving('layer7', s, server), 'no-healthy-real-server');
  }
  for (const t of config.ssl) {
    const behind = layer7.get(t.service);
    if (unavailable('layer7')) note(t.vip, false, 'unavailable: layer7');
    else note(t.vip, behind !== undefined && serving('layer7', behind, server), 'no-healthy-real-server');
  }
  return [...byVip.values()].map(({ address, serves, why }): BgpVipStatus => {
    if (held !== undefined) return { address, state: 'withdrawn', reason: held };
    if (!serves) return { address, state: 'withdrawn', reason: why };
    if (input.drain === 'draining') return { address, state: 'draining', reason: 'draining' };
    return { address, state: 'announced', reason: 'healthy' };
  });
}
