import { ArpFixError } from './errors.js';
import type { Method } from './inspect.js';
import type { Change, ChangeRecord } from './record.js';
import { arpSysctls, type NetfilterBackend, readState } from './state.js';
import type { RealServerSystem } from './system.js';
import { checkVips, hostPrefix, sameAddress, type VipSpec } from './validate.js';

/** The nftables table the redirect method owns (its own table: reverting never touches others'). */
export const NFT_TABLE = 'sluice_arp_fix';
export const NFT_CHAIN = 'prerouting';
const COMMENT = 'sluice-arp-fix';

export interface ApplyOptions {
  vips: readonly (string | VipSpec)[];
  /** `arp` (method 2, the default) or `redirect` (method 1, IPv4 only). */
  method?: Method;
  /**
   * The services tell sites apart by destination address (IP-based virtual hosting). The
   * redirect rewrites the destination to the interface's address, so method 1 is refused.
   */
  ipBasedVirtualHosting?: boolean;
  /** Force a netfilter front end instead of the one the host uses. */
  netfilter?: NetfilterBackend;
}

function refuse(message: string, field: string): ArpFixError {
  return new ArpFixError('ARPFIX_METHOD_REFUSED', message, { field });
}

/**
 * Fixes the ARP problem for the VIPs and returns exactly what it changed (nothing already
 * right is touched), so {@link revert} can put everything back.
 */
export async function apply(system: RealServerSystem, options: ApplyOptions): Promise<ChangeRecord> {
  const vips = checkVips(options.vips);
  const method = options.method ?? 'arp';
  if (method !== 'arp' && method !== 'redirect') {
    throw new ArpFixError('ARPFIX_INVALID_FIELD', 'method: "arp" or "redirect"', { field: 'method' });
  }
  const state = await readState(system);
  const changes: Change[] = [];
  const record: ChangeRecord = {
    version: 1,
    operation: 'apply',
    method,
    vips: vips.map((v) => v.address),
    at: new Date().toISOString(),
    changes,
  };

  if (method === 'redirect') {
    vips.forEach((vip, i) => {
      if (vip.family === 6) {
        throw refuse(
          `vips[${i}]: the redirect method (1) is IPv4 only: ${vip.address} needs method 2 (the VIP on lo as /128)`,
          `vips[${i}]`,
        );
      }
    });
    if (options.ipBasedVirtualHosting === true) {
      throw refuse(
        'the redirect method rewrites the destination to the interface address, which breaks IP-based virtual hosting: use method 2 (arp)',
        'ipBasedVirtualHosting',
      );
    }
    vips.forEach((vip, i) => {
      const bound = state.listeners.find((l) => l.family === vip.family && sameAddress(l.address, vip.address));
      if (bound) {
        throw refuse(
          `vips[${i}]: a service listens on ${vip.address}:${bound.port} itself (IP-based virtual hosting); the redirect would never reach it: use method 2 (arp)`,
          `vips[${i}]`,
        );
      }
    });
    const backend = options.netfilter ?? state.netfilter.backend;
    if (backend === 'none') {
      throw new ArpFixError('ARPFIX_MISSING_BINARY', 'the redirect method needs nft or iptables');
    }
    for (const vip of vips) {
      const present = state.netfilter.redirects.some(
        (r) => r.family === 4 && sameAddress(r.destination, vip.address) && (r.protocol ?? 'tcp') === 'tcp',
      );
      if (present) continue;
      try {
        if (backend === 'nftables') await addNftRedirect(system, vip.address, changes);
        else await addIptablesRedirect(system, vip.address, changes);
      } catch (error) {
        throw Object.assign(error as Error, { record });
      }
    }
    return record;
  }

  try {
    if (vips.some((v) => v.family === 4)) {
      for (const ifname of ['all', ...state.interfaces.filter((i) => i !== 'lo')]) {
        const keys = arpSysctls(ifname);
        for (const [path, target] of [
          [keys.ignore, 1],
          [keys.announce, 2],
        ] as const) {
          const before = state.sysctls[path];
          if (before === undefined || Number(before) >= target) continue;
          await system.writeSysctl(path, String(target));
          changes.push({ kind: 'sysctl', path, before, after: String(target) });
        }
      }
    }
    for (const vip of vips) {
      const host = hostPrefix(vip.family);
      const holders = state.addresses.filter((a) => a.family === vip.family && sameAddress(a.address, vip.address));
      for (const a of holders.filter((h) => h.ifname !== 'lo' || h.prefix !== host)) {
        await system.run('ip', ['addr', 'del', `${a.address}/${a.prefix}`, 'dev', a.ifname]);
        changes.push({
          kind: 'address',
          op: 'del',
          ifname: a.ifname,
          address: a.address,
          prefix: a.prefix,
          ...(a.extra ? { extra: a.extra } : {}),
        });
      }
      if (!holders.some((h) => h.ifname === 'lo' && h.prefix === host)) {
        await system.run('ip', ['addr', 'add', `${vip.address}/${host}`, 'dev', 'lo']);
        changes.push({ kind: 'address', op: 'add', ifname: 'lo', address: vip.address, prefix: host });
      }
    }
  } catch (error) {
    // What was done before the failure is still recorded, so it can be reverted.
    throw Object.assign(error as Error, { record });
  }
  return record;
}

async function addNftRedirect(system: RealServerSystem, vip: string, changes: Change[]): Promise<void> {
  const exists = await system.tryRun('nft', ['list', 'table', 'ip', NFT_TABLE]);
  if (exists.exitCode !== 0) {
    await system.run('nft', ['add', 'table', 'ip', NFT_TABLE]);
    changes.push({ kind: 'nft-table', family: 'ip', table: NFT_TABLE });
    // nft joins its arguments with spaces and parses them as one command line.
    await system.run('nft', [
      'add',
      'chain',
      'ip',
      NFT_TABLE,
      NFT_CHAIN,
      '{',
      'type',
      'nat',
      'hook',
      'prerouting',
      'priority',
      'dstnat',
      ';',
      'policy',
      'accept',
      ';',
      '}',
    ]);
  }
  const echo = await system.run('nft', [
    '--echo',
    '--handle',
    'add',
    'rule',
    'ip',
    NFT_TABLE,
    NFT_CHAIN,
    'ip',
    'daddr',
    vip,
    'meta',
    'l4proto',
    'tcp',
    'redirect',
    'comment',
    `"${COMMENT}"`,
  ]);
  const handle = /# handle (\d+)/.exec(echo.stdout)?.[1];
  if (handle === undefined) {
    throw new ArpFixError('ARPFIX_PARSE', `nft did not echo the new rule's handle: ${JSON.stringify(echo.stdout)}`);
  }
  changes.push({ kind: 'nft-rule', family: 'ip', table: NFT_TABLE, chain: NFT_CHAIN, handle: Number(handle) });
}

async function addIptablesRedirect(system: RealServerSystem, vip: string, changes: Change[]): Promise<void> {
  const spec = ['-d', `${vip}/32`, '-p', 'tcp', '-j', 'REDIRECT'];
  await system.run('iptables', ['-t', 'nat', '-A', 'PREROUTING', ...spec]);
  changes.push({ kind: 'iptables-rule', table: 'nat', chain: 'PREROUTING', spec });
}
