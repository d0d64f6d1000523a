import { invalid } from './errors.js';
import { familyOf } from './inet.js';
import {
  type DestinationSpec,
  type Family,
  type Protocol,
  SCHEDULERS,
  type ServiceKey,
  type ServiceSpec,
  type SyncDaemon,
} from './types.js';

const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];
const U32_MAX = 0xffffffff;

function isMulticast(address: string): boolean {
  const family = familyOf(address);
  if (family === 4) return Number(address.split('.')[0]) >= 224 && Number(address.split('.')[0]) <= 239;
  return family === 6 && /^ff/i.test(address);
}

const isInt = (n: unknown, min: number, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

const at = (prefix: string, field: string) => (prefix ? `${prefix}.${field}` : field);

export interface ServiceKeyOptions {
  /**
   * The key may name a persistent service on port 0 (every port of the address, as
   * `ipvsadm -A -t VIP:0 -p` makes): true where the key only finds a service (deletes,
   * destinations), whose persistence it cannot know; the kernel answers ENOENT if none.
   */
  persistent?: boolean;
}

/** Checks a service key and returns its address family. */
export function validateServiceKey(key: ServiceKey, prefix = '', options: ServiceKeyOptions = {}): Family {
  if (key === null || typeof key !== 'object') throw invalid(prefix || 'service', 'must be an object');
  if (key.fwmark !== undefined) {
    if (!isInt(key.fwmark, 1, U32_MAX)) throw invalid(at(prefix, 'fwmark'), 'must be an integer from 1 to 4294967295');
    if (key.family !== 4 && key.family !== 6)
      throw invalid(at(prefix, 'family'), 'must be 4 or 6 for a firewall-mark service');
    if ((key as { address?: unknown }).address !== undefined) {
      throw invalid(
        at(prefix, 'address'),
        'a firewall-mark service has no address (use fwmark or protocol+address+port)',
      );
    }
    return key.family;
  }
  if (!PROTOCOLS.includes(key.protocol)) throw invalid(at(prefix, 'protocol'), 'must be tcp, udp or sctp');
  const family = typeof key.address === 'string' ? familyOf(key.address) : undefined;
  if (!family) throw invalid(at(prefix, 'address'), `${JSON.stringify(key.address)} is not an IPv4 or IPv6 address`);
  if (key.port === 0 && !options.persistent) {
    throw invalid(at(prefix, 'port'), 'port 0 is only for firewall-mark services and persistent services (every port)');
  }
  if (!isInt(key.port, options.persistent ? 0 : 1, 65535)) {
    throw invalid(at(prefix, 'port'), 'must be an integer from 1 to 65535');
  }
  return family;
}

export function validateService(spec: ServiceSpec, prefix = ''): Family {
  // ipvsadm and the kernel take port 0 with persistence: one service for every port.
  const family = validateServiceKey(spec, prefix, { persistent: spec.persistence !== undefined });
  if (spec.scheduler !== undefined && !SCHEDULERS.includes(spec.scheduler)) {
    throw invalid(
      at(prefix, 'scheduler'),
      `unknown scheduler ${JSON.stringify(spec.scheduler)}; one of ${SCHEDULERS.join(', ')}`,
    );
  }
  const flags = spec.schedulerFlags;
  if (flags && (flags.fallback || flags.port) && spec.scheduler !== 'sh' && spec.scheduler !== 'mh') {
    throw invalid(at(prefix, 'schedulerFlags'), 'fallback and port flags exist only for the sh and mh schedulers');
  }
  if (spec.persistence !== undefined) {
    const p = spec.persistence;
    if (!isInt(p.timeout, 1, U32_MAX)) throw invalid(at(prefix, 'persistence.timeout'), 'must be at least 1 second');
    // The kernel takes any IPv4 mask but refuses an IPv6 prefix of 0.
    const [min, max] = family === 4 ? [0, 32] : [1, 128];
    if (p.netmask !== undefined && !isInt(p.netmask, min, max)) {
      throw invalid(at(prefix, 'persistence.netmask'), `must be a prefix length from ${min} to ${max}`);
    }
  }
  if (spec.onePacket && spec.protocol !== undefined && spec.protocol !== 'udp') {
    throw invalid(at(prefix, 'onePacket'), 'one-packet scheduling is for UDP services only');
  }
  if (spec.persistenceEngine !== undefined) {
    if (!/^[a-z0-9_]{1,15}$/.test(spec.persistenceEngine)) {
      throw invalid(at(prefix, 'persistenceEngine'), 'must be a module name such as sip');
    }
    if (!spec.persistence) throw invalid(at(prefix, 'persistenceEngine'), 'a persistence engine needs persistence');
  }
  return family;
}

/**
 * Checks a destination against its service. Port translation is impossible in DR and
 * TUN modes (the packet reaches the real server unchanged), so a different port is an
 * error rather than a silent fix.
 */
export function validateDestination(dest: DestinationSpec, service: ServiceKey, prefix = ''): void {
  if (dest === null || typeof dest !== 'object') throw invalid(prefix || 'destination', 'must be an object');
  const serviceFamily = service.fwmark !== undefined ? service.family : familyOf(service.address);
  const family = typeof dest.address === 'string' ? familyOf(dest.address) : undefined;
  if (!family) throw invalid(at(prefix, 'address'), `${JSON.stringify(dest.address)} is not an IPv4 or IPv6 address`);
  const forwarding = dest.forwarding ?? 'dr';
  if (!['nat', 'dr', 'tun'].includes(forwarding)) throw invalid(at(prefix, 'forwarding'), 'must be nat, dr or tun');
  if (family !== serviceFamily && forwarding !== 'tun') {
    throw invalid(
      at(prefix, 'address'),
      `an IPv${family} real server behind an IPv${serviceFamily} service needs tun forwarding`,
    );
  }
  if (!isInt(dest.port, 0, 65535)) throw invalid(at(prefix, 'port'), 'must be an integer from 0 to 65535');
  if (service.fwmark === undefined && (forwarding === 'dr' || forwarding === 'tun') && dest.port !== service.port) {
    throw invalid(
      at(prefix, 'port'),
      `port translation is impossible in ${forwarding.toUpperCase()} mode: the real server port must equal the virtual port ${service.port}`,
    );
  }
  if (dest.weight !== undefined && !isInt(dest.weight, 0, 65535)) {
    throw invalid(at(prefix, 'weight'), 'must be an integer from 0 (drain) to 65535');
  }
  const upper = dest.upperThreshold ?? 0;
  const lower = dest.lowerThreshold ?? 0;
  // The kernel takes any u32 (its netlink attributes are NLA_U32, checked in the test
  // kernel up to 4294967295); ipvsadm's own grammar stops at INT_MAX (cli/args.ts).
  if (!isInt(upper, 0, U32_MAX)) throw invalid(at(prefix, 'upperThreshold'), 'must be an integer, 0 for no limit');
  if (!isInt(lower, 0, U32_MAX)) throw invalid(at(prefix, 'lowerThreshold'), 'must be an integer, 0 for none');
  // The kernel compares the two as they are (ERANGE when lower > upper), so a lower
  // threshold needs an upper one: with upper 0 (no limit) any lower one is refused.
  if (lower > upper) {
    throw invalid(
      at(prefix, 'lowerThreshold'),
      upper === 0
        ? 'a lower threshold needs an upper threshold (-x) at least as large'
        : `must not exceed upperThreshold (${upper})`,
    );
  }
  if (dest.tunnel !== undefined) {
    if (forwarding !== 'tun') throw invalid(at(prefix, 'tunnel'), 'tunnel options need tun forwarding');
    const t = dest.tunnel;
    if (!['ipip', 'gue', 'gre'].includes(t.type)) throw invalid(at(prefix, 'tunnel.type'), 'must be ipip, gue or gre');
    if (t.type === 'gue' && !isInt(t.port, 1, 65535)) throw invalid(at(prefix, 'tunnel.port'), 'gue needs a UDP port');
    if (t.type !== 'gue' && t.port !== undefined) throw invalid(at(prefix, 'tunnel.port'), 'only gue has a port');
    if (t.checksum !== undefined) {
      if (!['none', 'csum', 'remcsum'].includes(t.checksum))
        throw invalid(at(prefix, 'tunnel.checksum'), 'none, csum or remcsum');
      if (t.type === 'ipip') throw invalid(at(prefix, 'tunnel.checksum'), 'ipip has no checksum options');
      if (t.checksum === 'remcsum' && t.type !== 'gue')
        throw invalid(at(prefix, 'tunnel.checksum'), 'remcsum is for gue only');
    }
  }
}

/** Checks what identifies a destination (for deletes). */
export function validateDestinationKey(dest: { address: string; port: number }, prefix = ''): void {
  if (dest === null || typeof dest !== 'object') throw invalid(prefix || 'destination', 'must be an object');
  if (typeof dest.address !== 'string' || !familyOf(dest.address)) {
    throw invalid(at(prefix, 'address'), `${JSON.stringify(dest.address)} is not an IPv4 or IPv6 address`);
  }
  if (!isInt(dest.port, 0, 65535)) throw invalid(at(prefix, 'port'), 'must be an integer from 0 to 65535');
}

export function validateDaemon(d: SyncDaemon, prefix = ''): void {
  if (d.state !== 'master' && d.state !== 'backup') throw invalid(at(prefix, 'state'), 'must be master or backup');
  if (typeof d.interface !== 'string' || !/^[A-Za-z0-9_.-]{1,15}$/.test(d.interface)) {
    throw invalid(at(prefix, 'interface'), 'must be an interface name (1-15 characters)');
  }
  if (!isInt(d.syncId, 0, 255)) throw invalid(at(prefix, 'syncId'), 'must be an integer from 0 to 255');
  if (d.maxLength !== undefined && !isInt(d.maxLength, 1, 65535)) throw invalid(at(prefix, 'maxLength'), '1-65535');
  if (d.group !== undefined && !isMulticast(d.group)) throw invalid(at(prefix, 'group'), 'must be a multicast address');
  if (d.port !== undefined && !isInt(d.port, 1, 65535)) throw invalid(at(prefix, 'port'), '1-65535');
  if (d.ttl !== undefined && !isInt(d.ttl, 1, 255)) throw invalid(at(prefix, 'ttl'), '1-255');
}
