/**
 * keepalived's `virtual_server` blocks (by address and port, by firewall mark, or by a
 * `virtual_server_group`) as the appliance's Layer 4 services.
 */
import { isIP } from 'node:net';
import { SCHEDULERS } from '../../model/schedulers.js';
import type { ApplianceConfigInput } from '../../model/schema.js';
import {
  addressLabel,
  type CheckSpec,
  importInvalid,
  keptPort,
  Labels,
  type Origin,
  prefixLength,
} from '../lvs-shared.js';
import { type CheckerDefaults, isChecker, mapChecker, readDefault } from './checkers.js';
import { arg, boolArg, type Context, intArg, mapped, unsupported } from './context.js';
import { expandGroupEntry, type GroupTarget, readGroups } from './groups.js';
import type { Directive } from './parse.js';

type Service = NonNullable<ApplianceConfigInput['layer4']>[number];
type RealServer = NonNullable<Service['realServers']>[number];

const FORWARDING: Record<string, 'nat' | 'dr' | 'tun'> = { NAT: 'nat', DR: 'dr', TUN: 'tun' };

/** keepalived's `persistence_timeout` with no value: six minutes. */
const DEFAULT_PERSISTENCE = 360;

/** What a virtual server's block says, read once for all the services it makes (a group makes several). */
interface Body {
  protocol: 'tcp' | 'udp';
  forwarding: 'nat' | 'dr' | 'tun';
  scheduler: (typeof SCHEDULERS)[number];
  persistence?: { timeoutSeconds: number; granularity?: number };
  fallback?: { address: string; port?: number; at: Directive };
  reals: { address: string; port?: number; weight?: number; min?: number; max?: number; at: Directive }[];
  check?: CheckSpec;
}

function address(d: Directive, text: string): string {
  if (isIP(text) === 0) throw importInvalid(d, `${JSON.stringify(text)} is not an IP address`);
  return text;
}

function portArg(d: Directive, i: number): number | undefined {
  return d.args[i] === undefined ? undefined : intArg(d, i, 0, 65535);
}

function readReal(
  ctx: Context,
  d: Directive,
  defaults: CheckerDefaults,
  body: Body,
  checks: (CheckSpec | undefined)[],
) {
  const real: Body['reals'][number] = { address: address(d, arg(d, 0, 'an address')), at: d };
  const port = portArg(d, 1);
  if (port !== undefined && port !== 0) real.port = port;
  mapped(ctx);
  const own: CheckerDefaults = { ...defaults };
  const checkers: Directive[] = [];
  for (const c of d.block ?? []) {
    if (readDefault(ctx, c, own)) continue;
    if (isChecker(c)) {
      checkers.push(c);
      continue;
    }
    switch (c.keyword) {
      case 'weight':
        real.weight = intArg(c, 0, 0, 65535);
        mapped(ctx);
        break;
      case 'uthreshold':
        real.max = intArg(c, 0, 0, 4294967295);
        mapped(ctx);
        break;
      case 'lthreshold':
        real.min = intArg(c, 0, 0, 4294967295);
        mapped(ctx);
        break;
      case 'inhibit_on_failure':
        inhibit(ctx, c);
        break;
      case 'lvs_method':
        if ((FORWARDING[arg(c, 0, 'NAT, DR or TUN').toUpperCase()] ?? body.forwarding) !== body.forwarding) {
          ctx.notes.add(c, c.keyword, 'lossy', "the service's forwarding method is used for every real server");
        } else mapped(ctx);
        break;
      default:
        unsupported(ctx, c);
    }
  }
  body.reals.push(real);
  // The service takes one check: this server's first checker that maps.
  let check: CheckSpec | undefined;
  for (const c of checkers) {
    const spec = mapChecker(ctx, c, own);
    if (spec === undefined) continue;
    if (check === undefined) check = spec;
    else ctx.notes.add(c, c.keyword, 'lossy', 'only the first checker of a real server is used');
  }
  checks.push(check);
}

/** The appliance always keeps a failed real server with weight 0, as `inhibit_on_failure` asks. */
function inhibit(ctx: Context, d: Directive): void {
  if (boolArg(d)) mapped(ctx);
  else
    ctx.notes.add(
      d,
      d.keyword,
      'lossy',
      'a failed real server keeps its place with weight 0 (the appliance always inhibits)',
    );
}

function readBody(ctx: Context, vs: Directive): Body {
  const body: Body = { protocol: 'tcp', forwarding: 'nat', scheduler: 'wlc', reals: [] };
  const defaults: CheckerDefaults = {};
  let timeout: number | undefined;
  let granularity: { value: number; at: Directive } | undefined;
  // The real servers inherit settings written anywhere in the block: read those first.
  const reals: Directive[] = [];
  for (const d of vs.block ?? []) {
    if (readDefault(ctx, d, defaults)) continue;
    switch (d.keyword) {
      case 'lb_algo':
      case 'lvs_sched': {
        const name = arg(d, 0, 'a scheduler');
        const scheduler = SCHEDULERS.find((s) => s === name);
        if (scheduler === undefined) throw importInvalid(d, `unknown scheduler ${JSON.stringify(name)}`);
        body.scheduler = scheduler;
        mapped(ctx);
        break;
      }
      case 'lb_kind':
      case 'lvs_method': {
        const method = FORWARDING[arg(d, 0, 'NAT, DR or TUN').toUpperCase()];
        if (method === undefined) throw importInvalid(d, `${d.keyword} must be NAT, DR or TUN`);
        body.forwarding = method;
        mapped(ctx);
        if (d.args.length > 1) ctx.notes.add(d, d.keyword, 'lossy', 'the tunnel type is not kept: IPIP is used');
        break;
      }
      case 'persistence_timeout':
        timeout = d.args[0] === undefined ? DEFAULT_PERSISTENCE : intArg(d, 0, 0, 31536000);
        mapped(ctx);
        break;
      case 'persistence_granularity': {
        const value = prefixLength(arg(d, 0, 'a netmask'), 128);
        if (value === undefined) throw importInvalid(d, 'persistence_granularity must be a netmask or a prefix length');
        granularity = { value, at: d };
        mapped(ctx);
        break;
      }
      case 'protocol': {
        const name = arg(d, 0, 'TCP, UDP or SCTP').toUpperCase();
        if (name === 'TCP' || name === 'UDP') body.protocol = name === 'TCP' ? 'tcp' : 'udp';
        else if (name === 'SCTP') throw importInvalid(d, 'SCTP services are not supported by the appliance');
        else throw importInvalid(d, `protocol must be TCP, UDP or SCTP, not ${JSON.stringify(name)}`);
        mapped(ctx);
        break;
      }
      case 'sorry_server': {
        const port = portArg(d, 1);
        body.fallback = { address: address(d, arg(d, 0, 'an address')), at: d };
        if (port !== undefined && port !== 0) body.fallback.port = port;
        mapped(ctx);
        break;
      }
      case 'inhibit_on_failure':
        inhibit(ctx, d);
        break;
      case 'real_server':
        reals.push(d);
        break;
      case 'ip_family':
        // Read with the mark (targetsOf): the family of a firewall-mark service.
        mapped(ctx);
        break;
      default:
        unsupported(ctx, d);
    }
  }
  if (timeout !== undefined && timeout > 0) {
    body.persistence = { timeoutSeconds: timeout };
    if (granularity !== undefined) body.persistence.granularity = granularity.value;
  } else if (granularity !== undefined) {
    ctx.notes.add(granularity.at, 'persistence_granularity', 'lossy', 'has no effect without persistence_timeout');
  }
  const checks: (CheckSpec | undefined)[] = [];
  for (const d of reals) readReal(ctx, d, defaults, body, checks);
  const check = serviceCheck(ctx, reals, checks);
  if (check !== undefined) body.check = check;
  return body;
}

/** One check for the service: the first real server's, with a note where the others differ. */
function serviceCheck(ctx: Context, reals: Directive[], checks: (CheckSpec | undefined)[]): CheckSpec | undefined {
  const index = checks.findIndex((c) => c !== undefined);
  if (index === -1) return undefined;
  const chosen = checks[index] as CheckSpec;
  const key = JSON.stringify(chosen);
  const from = reals[index] as Directive;
  checks.forEach((check, i) => {
    const real = reals[i] as Directive;
    if (check === undefined) {
      ctx.notes.add(
        real,
        'real_server',
        'ambiguous',
        `has no checker the appliance runs, but the service's check (line ${from.line}) applies to every real server`,
      );
    } else if (JSON.stringify(check) !== key) {
      ctx.notes.add(
        real,
        'real_server',
        'ambiguous',
        `its checker differs; the service checks every real server as the one at line ${from.line}`,
      );
    }
  });
  return chosen;
}

/** The services one body makes for one target (address and port, or mark). */
function instantiate(ctx: Context, body: Body, target: GroupTarget, label: string): Service {
  const service: Service = {
    label,
    vip: target.vip,
    protocol: body.protocol,
    forwarding: body.forwarding,
    scheduler: body.scheduler,
  };
  if (target.fwmark !== undefined) {
    service.protocol = 'fwmark';
    service.fwmark = target.fwmark;
    service.ports = [];
  } else service.ports = [target.port as number];
  if (body.persistence !== undefined) service.persistence = { ...body.persistence };
  const samePort = (d: Directive, port: number | undefined) =>
    keptPort(ctx.notes, d, d.keyword, body.forwarding, target.port, port);
  const labels = new Labels();
  service.realServers = body.reals.map((r) => {
    const port = samePort(r.at, r.port);
    const real: RealServer = {
      label: labels.take(`rs_${addressLabel(r.address)}${port === undefined ? '' : `_${port}`}`),
      address: r.address,
    };
    if (port !== undefined) real.port = port;
    if (r.weight !== undefined) real.weight = r.weight;
    if (r.min !== undefined) real.minConnections = r.min;
    if (r.max !== undefined) real.maxConnections = r.max;
    return real;
  });
  if (body.fallback !== undefined) {
    const port = samePort(body.fallback.at, body.fallback.port);
    service.fallback =
      port === undefined ? { address: body.fallback.address } : { address: body.fallback.address, port };
  }
  if (body.check !== undefined) service.healthCheck = ctx.checks.labelFor(body.check);
  return service;
}

/** Every virtual server of the tree as Layer 4 services, with the directive each came from. */
export function mapVirtualServers(ctx: Context, tree: Directive[]): { services: Service[]; origins: Origin[] } {
  const groups = readGroups(ctx, tree);
  const services: Service[] = [];
  const origins: Origin[] = [];
  const labels = new Labels();
  const listeners = new Map<string, Directive>();
  for (const vs of tree) {
    if (vs.keyword !== 'virtual_server') continue;
    const targets = targetsOf(ctx, vs, groups);
    if (targets === undefined) continue;
    mapped(ctx);
    const body = readBody(ctx, vs);
    for (const { target, name } of targets) {
      // A mark names no address: keepalived takes the family from the real servers, IPv4 when it cannot.
      if (target.vip === '') target.vip = isIP(body.reals[0]?.address ?? '') === 6 ? '::' : '0.0.0.0';
      const key =
        target.fwmark !== undefined
          ? `fwmark ${target.fwmark} ${target.vip}`
          : `${target.vip} ${target.port} ${body.protocol}`;
      const first = listeners.get(key);
      if (first !== undefined)
        throw importInvalid(vs, `${key} is already a virtual server at ${first.file}:${first.line}`);
      listeners.set(key, vs);
      const label = labels.take(body.protocol === 'udp' && target.fwmark === undefined ? `${name}_udp` : name);
      services.push(instantiate(ctx, body, target, label));
      origins.push(vs);
    }
  }
  for (const group of groups.values()) {
    if (!group.used)
      ctx.notes.add(
        group.at,
        'virtual_server_group',
        'unsupported',
        `"${group.name}" is used by no virtual_server; left out`,
      );
  }
  return { services, origins };
}

/** What a virtual_server names: an address and port, a mark, or a group's entries; undefined when left out (noted). */
function targetsOf(
  ctx: Context,
  vs: Directive,
  groups: ReturnType<typeof readGroups>,
): { target: GroupTarget; name: string }[] | undefined {
  const first = arg(vs, 0, 'an address, "fwmark" or "group"');
  if (first === 'fwmark') {
    const mark = intArg(vs, 1, 1, 4294967295);
    const family = (vs.block ?? []).find((d) => d.keyword === 'ip_family')?.args[0];
    const vip = family === 'inet6' ? '::' : family === 'inet' ? '0.0.0.0' : '';
    return [{ target: { vip, fwmark: mark }, name: `fwm_${mark}` }];
  }
  if (first === 'group') {
    const name = arg(vs, 1, 'a group name');
    const group = groups.get(name);
    if (group === undefined) throw importInvalid(vs, `no virtual_server_group is named ${JSON.stringify(name)}`);
    group.used = true;
    const out: { target: GroupTarget; name: string }[] = [];
    for (const entry of group.entries) {
      for (const target of expandGroupEntry(ctx, entry)) {
        const where =
          target.fwmark !== undefined ? `fwm_${target.fwmark}` : `${addressLabel(target.vip)}_${target.port}`;
        out.push({ target, name: `${name}_${where}` });
      }
    }
    return out;
  }
  const vip = address(vs, first);
  const port = portArg(vs, 1);
  if (port === undefined || port === 0) {
    ctx.notes.add(
      vs,
      'virtual_server',
      'unsupported',
      'a service on every port (no port, or port 0) has no counterpart; left out with its real servers',
    );
    return undefined;
  }
  return [{ target: { vip, port }, name: `vs_${addressLabel(vip)}_${port}` }];
}
