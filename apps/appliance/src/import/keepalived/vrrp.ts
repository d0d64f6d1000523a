/**
 * keepalived's VRRP side as the appliance's floating IPs and heartbeat. The heartbeat is
 * not VRRP: one heartbeat moves every floating IP of the pair together, its peer is one
 * address (VRRP's `unicast_peer`; multicast VRRP names none) and its key is a pre-shared
 * string of at least 16 characters (VRRP's `auth_pass` uses at most 8, so most files give
 * no key it can take). It is imported disabled: while the peer still runs keepalived, an
 * enabled heartbeat would hear no peer and take the addresses over.
 */
import { isIP } from 'node:net';
import type { ApplianceConfigInput } from '../../model/schema.js';
import { importInvalid, labelFrom, type Origin, seconds } from '../lvs-shared.js';
import { arg, type Context, intArg, mapped, unsupported } from './context.js';
import type { Directive } from './parse.js';

type FloatingIp = NonNullable<ApplianceConfigInput['floatingIps']>[number];
type Heartbeat = NonNullable<ApplianceConfigInput['heartbeat']>;
type Announcements = NonNullable<Heartbeat['announcements']>;
type ConnectionSync = NonNullable<Heartbeat['connectionSync']>;

/** A directive that sets part of the heartbeat, applied once the heartbeat can be made. */
interface HeartbeatPart {
  at: Directive;
  apply(heartbeat: Heartbeat): void;
  /** What is lost in the mapping, noted only when the heartbeat is made. */
  lossy?: string;
}

interface State {
  floatingIps: FloatingIp[];
  origins: Origin[];
  seen: Map<string, Directive>;
  parts: HeartbeatPart[];
  peer?: { address: string; at: Directive };
  key?: string;
  links: string[];
  /** Why no heartbeat could be made, when none can. */
  missing: string[];
}

const ms = (d: Directive, min: number, max: number): number => {
  const value = seconds(arg(d, 0, 'a time in seconds'));
  if (value === undefined) throw importInvalid(d, `${d.keyword} must be a time in seconds`);
  return Math.min(max, Math.max(min, Math.round(value * 1000)));
};

/** keepalived's gratuitous ARP settings, global (`vrrp_garp_*`) or per instance (`garp_*`), by the field each sets. */
const GARP: Record<string, { field: keyof Announcements; read: (d: Directive) => number }> = {
  garp_master_repeat: { field: 'count', read: (d) => intArg(d, 0, 1, 100) },
  garp_master_delay: { field: 'delayMs', read: (d) => ms(d, 0, 600_000) },
  garp_master_refresh: {
    field: 'refreshMs',
    // The heartbeat refreshes at most once a second; 0 is off, as in keepalived.
    read: (d) => {
      const refresh = ms(d, 0, 86_400_000);
      return refresh === 0 ? 0 : Math.max(1000, refresh);
    },
  },
  garp_interval: { field: 'intervalMs', read: (d) => ms(d, 1, 600_000) },
};

/** A gratuitous ARP setting as a part of the heartbeat; false when `d` is none. */
function announcement(state: State, d: Directive): boolean {
  const garp = GARP[d.keyword.startsWith('vrrp_') ? d.keyword.slice(5) : d.keyword];
  if (garp === undefined) return false;
  const value = garp.read(d);
  part(state, d, (h) => {
    h.announcements ??= {};
    h.announcements[garp.field] = value;
  });
  return true;
}

function part(state: State, at: Directive, apply: (heartbeat: Heartbeat) => void, lossy?: string): void {
  state.parts.push({ at, apply, ...(lossy === undefined ? {} : { lossy }) });
}

/** One `virtual_ipaddress` entry: `ADDRESS[/LEN] [dev IF] [brd ...] [label ...] ...`. */
function floatingIp(ctx: Context, state: State, d: Directive, instanceInterface: string | undefined): void {
  const [address = '', length] = d.keyword.split('/');
  const family = isIP(address);
  if (family === 0) throw importInvalid(d, `${JSON.stringify(d.keyword)} is not an IP address`);
  const max = family === 4 ? 32 : 128;
  const prefix = length === undefined ? max : Number(length);
  if (!/^\d{1,3}$/.test(length ?? `${max}`) || prefix > max)
    throw importInvalid(d, `bad prefix length in ${d.keyword}`);
  let device = instanceInterface;
  const dropped: string[] = [];
  for (let i = 0; i < d.args.length; i++) {
    const word = d.args[i] as string;
    if (word === 'dev') {
      device = arg(d, ++i, 'an interface after "dev"');
    } else dropped.push(word);
  }
  const first = state.seen.get(address);
  if (first !== undefined) {
    ctx.notes.add(d, d.keyword, 'ambiguous', `already a floating IP (${first.file}:${first.line}); taken once`);
    return;
  }
  state.seen.set(address, d);
  mapped(ctx);
  if (dropped.length > 0) ctx.notes.add(d, d.keyword, 'lossy', `the options "${dropped.join(' ')}" are not kept`);
  state.floatingIps.push({ address: `${address}/${prefix}`, ...(device === undefined ? {} : { interface: device }) });
  state.origins.push(d);
}

function authentication(ctx: Context, state: State, block: Directive[]): void {
  for (const d of block) {
    if (d.keyword === 'auth_type') {
      if (arg(d, 0, 'PASS or AH').toUpperCase() === 'AH')
        unsupported(ctx, d, 'AH (IPsec) has no counterpart: the heartbeat authenticates with its key');
      else mapped(ctx);
    } else if (d.keyword === 'auth_pass') {
      const pass = arg(d, 0, 'a password');
      if (pass.length >= 16) {
        state.key ??= pass;
        part(state, d, () => {});
      } else {
        state.missing.push(
          `auth_pass (${d.file}:${d.line}) is shorter than the heartbeat key's 16 characters: set heartbeat.key`,
        );
        ctx.notes.add(d, d.keyword, 'unsupported', 'shorter than the 16 characters of a heartbeat key; left out');
      }
    } else unsupported(ctx, d);
  }
}

function instance(ctx: Context, state: State, vi: Directive, first: boolean): void {
  const block = vi.block ?? [];
  const iface = block.find((d) => d.keyword === 'interface')?.args[0];
  for (const d of block) {
    if (announcement(state, d)) continue;
    switch (d.keyword) {
      case 'interface':
        if (iface !== undefined && !state.links.includes(iface)) state.links.push(iface);
        mapped(ctx);
        break;
      case 'virtual_ipaddress':
      case 'virtual_ipaddress_excluded':
        mapped(ctx);
        for (const entry of d.block ?? []) floatingIp(ctx, state, entry, iface);
        break;
      case 'unicast_peer': {
        const peers = d.block ?? [];
        const peer = peers[0];
        if (peer === undefined) break;
        if (isIP(peer.keyword) === 0) throw importInvalid(peer, `${JSON.stringify(peer.keyword)} is not an IP address`);
        for (const other of peers.slice(1)) {
          ctx.notes.add(
            other,
            other.keyword,
            'unsupported',
            'a pair has one peer: only the first unicast_peer is taken; left out',
          );
        }
        if (state.peer === undefined) state.peer = { address: peer.keyword, at: d };
        else if (state.peer.address !== peer.keyword) {
          ctx.notes.add(
            peer,
            peer.keyword,
            'ambiguous',
            `the heartbeat's peer is ${state.peer.address} (${state.peer.at.file}:${state.peer.at.line})`,
          );
        }
        part(state, d, () => {});
        break;
      }
      case 'authentication':
        authentication(ctx, state, d.block ?? []);
        break;
      case 'advert_int': {
        if (!first) {
          ctx.notes.add(d, d.keyword, 'ambiguous', 'the heartbeat takes its timers from the first vrrp_instance');
          break;
        }
        const keepalive = ms(d, 1, 200_000);
        part(
          state,
          d,
          (h) => {
            h.timing = {
              keepaliveMs: keepalive,
              warntimeMs: 2 * keepalive,
              deadtimeMs: 3 * keepalive,
              initdeadMs: Math.max(1000, 3 * keepalive),
            };
          },
          "a heartbeat every advert_int; the peer is dead after three missed (VRRP's skew time is not added)",
        );
        break;
      }
      case 'nopreempt':
      case 'preempt': {
        const failback = d.keyword === 'preempt';
        part(state, d, (h) => {
          h.autoFailback = failback;
        });
        break;
      }
      case 'lvs_sync_daemon_interface': {
        const sync = arg(d, 0, 'an interface');
        part(state, d, (h) => {
          h.connectionSync ??= { interface: sync };
        });
        break;
      }
      case 'state':
      case 'priority':
        unsupported(
          ctx,
          d,
          'has no counterpart: the heartbeat has no fixed roles or priorities (autoFailback gives the addresses back)',
        );
        break;
      case 'virtual_router_id':
        unsupported(ctx, d, 'has no counterpart: the heartbeat is not VRRP');
        break;
      case 'unicast_src_ip':
        unsupported(ctx, d, "has no counterpart: the heartbeat sends from the link's own address");
        break;
      default:
        unsupported(ctx, d);
    }
  }
}

const SYNC_OPTIONS = new Set(['id', 'maxlen', 'port', 'ttl', 'group']);

/**
 * `lvs_sync_daemon IFACE [INSTANCE] [id N] [maxlen L] [port P] [ttl T] [group IP]` (global_defs).
 * Without `id`, keepalived uses the named instance's virtual_router_id as the sync id.
 */
function syncDaemon(d: Directive, tree: readonly Directive[]): ConnectionSync {
  const sync: ConnectionSync = { interface: arg(d, 0, 'an interface') };
  const named = d.args[1] !== undefined && !SYNC_OPTIONS.has(d.args[1]);
  for (let i = named ? 2 : 1; i < d.args.length; i += 2) {
    const option = d.args[i];
    if (option === 'group') sync.group = arg(d, i + 1, 'an address');
    else if (option === 'id') sync.syncId = intArg(d, i + 1, 0, 255);
    else if (option === 'maxlen') sync.maxPacketLength = intArg(d, i + 1, 1, 65535);
    else if (option === 'port') sync.port = intArg(d, i + 1, 1, 65535);
    else if (option === 'ttl') sync.ttl = intArg(d, i + 1, 1, 255);
    else throw importInvalid(d, `unknown lvs_sync_daemon option ${JSON.stringify(option)}`);
  }
  if (sync.syncId === undefined && named) {
    const instance = tree.find((t) => t.keyword === 'vrrp_instance' && t.args[0] === d.args[1]);
    const vrid = instance?.block?.find((t) => t.keyword === 'virtual_router_id');
    if (vrid !== undefined) sync.syncId = intArg(vrid, 0, 0, 255);
  }
  return sync;
}

function globalDefs(ctx: Context, state: State, block: Directive[], tree: readonly Directive[]): void {
  for (const d of block) {
    if (announcement(state, d)) continue;
    if (d.keyword === 'lvs_sync_daemon') {
      const sync = syncDaemon(d, tree);
      part(state, d, (h) => {
        h.connectionSync = sync;
      });
    } else unsupported(ctx, d);
  }
}

export interface VrrpResult {
  floatingIps: FloatingIp[];
  origins: Origin[];
  heartbeat?: Heartbeat;
  heartbeatAt?: Origin;
}

/** The floating IPs of every vrrp_instance and, where it maps, the heartbeat of the pair. */
export function mapVrrp(ctx: Context, tree: Directive[]): VrrpResult {
  const state: State = { floatingIps: [], origins: [], seen: new Map(), parts: [], links: [], missing: [] };
  let instances = 0;
  // global_defs first: an instance's own garp settings win over the global ones, as in keepalived.
  for (const d of tree) if (d.keyword === 'global_defs') globalDefs(ctx, state, d.block ?? [], tree);
  for (const d of tree) {
    if (d.keyword === 'vrrp_instance') {
      mapped(ctx);
      instances++;
      if (instances > 1) {
        ctx.notes.add(
          d,
          d.keyword,
          'lossy',
          'the floating IPs of every vrrp_instance move together, with one heartbeat',
        );
      }
      instance(ctx, state, d, instances === 1);
    } else if (d.keyword === 'vrrp_sync_group') {
      // What a sync group asks (its instances fail over together) is how the heartbeat works.
      mapped(ctx);
      for (const inner of d.block ?? []) {
        if (inner.keyword === 'group') mapped(ctx);
        else unsupported(ctx, inner);
      }
    }
  }
  const result: VrrpResult = { floatingIps: state.floatingIps, origins: state.origins };
  if (instances === 0) state.missing.push('no vrrp_instance');
  else if (state.peer === undefined) state.missing.push('no unicast_peer names the peer (multicast VRRP)');
  if (state.key === undefined && !state.missing.some((m) => m.startsWith('auth_pass')))
    state.missing.push('no auth_pass gives a key');
  if (state.peer === undefined || state.key === undefined || state.links.length === 0) {
    const why = state.missing.join('; ') || 'no vrrp_instance names an interface';
    for (const p of state.parts)
      ctx.notes.add(p.at, p.at.keyword, 'unsupported', `no heartbeat was imported (${why}); left out`);
    return result;
  }
  const heartbeat: Heartbeat = {
    enabled: false,
    peer: { name: labelFrom(`peer-${state.peer.address.replaceAll(':', '-')}`), address: state.peer.address },
    links: state.links.slice(0, 8).map((name) => ({ interface: name })),
    key: state.key,
  };
  for (const p of state.parts) {
    p.apply(heartbeat);
    mapped(ctx);
    if (p.lossy !== undefined) ctx.notes.add(p.at, p.at.keyword, 'lossy', p.lossy);
  }
  ctx.notes.add(
    state.peer.at,
    'unicast_peer',
    'lossy',
    'the heartbeat is imported disabled: enable it once both nodes run the appliance',
  );
  result.heartbeat = heartbeat;
  result.heartbeatAt = state.peer.at;
  return result;
}
