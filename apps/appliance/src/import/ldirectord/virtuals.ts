/**
 * ldirectord's virtual services as the appliance's Layer 4 services, their checks as
 * health checks. A virtual section inherits the global settings written before it.
 */
import { isIP, isIPv4 } from 'node:net';
import { SCHEDULERS } from '../../model/schedulers.js';
import type { ApplianceConfigInput } from '../../model/schema.js';
import {
  addressLabel,
  type CheckSpec,
  type HealthChecks,
  importInvalid,
  intToIpv4,
  ipv4ToInt,
  keptPort,
  Labels,
  type Notes,
  prefixLength,
  seconds,
} from '../lvs-shared.js';
import type { Setting, Virtual } from './parse.js';

type Service = NonNullable<ApplianceConfigInput['layer4']>[number];
type RealServer = NonNullable<Service['realServers']>[number];
type Forwarding = 'dr' | 'nat' | 'tun';

const METHODS: Record<string, Forwarding> = { gate: 'dr', masq: 'nat', ipip: 'tun' };
/** The service names ldirectord takes for a port, as /etc/services has them. */
const PORTS: Record<string, number> = {
  ftp: 21,
  smtp: 25,
  domain: 53,
  http: 80,
  pop3: 110,
  imap: 143,
  ldap: 389,
  https: 443,
  mysql: 3306,
};
/** What `checktype = negotiate` can check here: the rest is checked as a TCP connect. */
const NEGOTIATED: Record<string, CheckSpec['type']> = { http: 'http', https: 'https' };
/** ldirectord's guess of the service from the port, when `service` is not written. */
const SERVICE_BY_PORT: Record<number, string> = { 80: 'http', 443: 'https' };

/** Settings that only feed the health check, read into `CheckInput`. */
const CHECK_KEYS = new Set([
  'checktype',
  'service',
  'request',
  'receive',
  'httpmethod',
  'virtualhost',
  'checkport',
  'checkinterval',
  'checktimeout',
  'connecttimeout',
  'negotiatetimeout',
  'failurecount',
  'checkcount',
]);

const UNSUPPORTED: Record<string, string> = {
  fallbackcommand: 'runs a command, which the appliance does not',
  checkcommand: 'runs a command, which the appliance does not',
  emailalert: 'has no counterpart: the appliance reports through its log and events',
  emailalertfreq: 'has no counterpart: the appliance reports through its log and events',
  emailalertstatus: 'has no counterpart: the appliance reports through its log and events',
  emailalertfrom: 'has no counterpart: the appliance reports through its log and events',
};

export interface Context {
  notes: Notes;
  checks: HealthChecks;
}

function first(s: Setting, what: string): string {
  const value = s.words[0];
  if (value === undefined) throw importInvalid(s, `${s.key} needs ${what}`);
  return value;
}

function int(s: Setting, min: number, max: number): number {
  const text = first(s, 'a number');
  if (!/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw importInvalid(s, `${s.key} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function timer(ctx: Context, s: Setting, field: string): number {
  const value = seconds(first(s, 'a time in seconds'));
  if (value === undefined) throw importInvalid(s, `${s.key} must be a time in seconds`);
  const whole = Math.min(3600, Math.max(1, Math.ceil(value)));
  if (whole !== value)
    ctx.notes.add(s, s.key, 'lossy', `${value} s is taken as ${whole} s (${field} is whole seconds, 1-3600)`);
  return whole;
}

function yesNo(s: Setting): boolean {
  const value = first(s, 'yes or no').toLowerCase();
  if (value !== 'yes' && value !== 'no') throw importInvalid(s, `${s.key} must be yes or no`);
  return value === 'yes';
}

/** `address[:port]` with IPv6 in brackets; a port name as /etc/services has it. */
function endpoint(s: Setting, text: string): { address: string; port?: number } {
  let address = text;
  let port: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw importInvalid(s, `${JSON.stringify(text)} is not an address`);
    address = text.slice(1, close);
    if (text[close + 1] === ':') port = text.slice(close + 2);
    else if (close !== text.length - 1) throw importInvalid(s, `${JSON.stringify(text)} is not an address`);
  } else if (text.indexOf(':') === text.lastIndexOf(':') && text.includes(':')) {
    address = text.slice(0, text.indexOf(':'));
    port = text.slice(text.indexOf(':') + 1);
  }
  if (isIP(address) === 0) {
    throw importInvalid(s, `${JSON.stringify(address)} is not an IP address (host names are not resolved on import)`);
  }
  if (port === undefined) return { address };
  const number = /^\d{1,5}$/.test(port) ? Number(port) : PORTS[port];
  if (number === undefined || number > 65535) throw importInvalid(s, `${JSON.stringify(port)} is not a port`);
  return number === 0 ? { address } : { address, port: number };
}

/** `a.b.c.d->a.b.c.e` as its addresses (at most 256). */
function addressRange(s: Setting, text: string): { address: string; port?: number }[] {
  const arrow = text.indexOf('->');
  if (arrow === -1) return [endpoint(s, text)];
  const from = text.slice(0, arrow);
  const rest = endpoint(s, text.slice(arrow + 2));
  if (!isIPv4(from) || !isIPv4(rest.address))
    throw importInvalid(s, 'an address range must be IPv4 (a.b.c.d->a.b.c.e)');
  const lo = ipv4ToInt(from);
  const hi = ipv4ToInt(rest.address);
  if (hi < lo || hi - lo >= 256) throw importInvalid(s, 'an address range must hold from 1 to 256 addresses');
  const out: { address: string; port?: number }[] = [];
  for (let n = lo; n <= hi; n++) {
    const address = intToIpv4(n);
    out.push(rest.port === undefined ? { address } : { address, port: rest.port });
  }
  return out;
}

interface Real {
  address: string;
  port?: number;
  weight: number;
  method: Forwarding;
  at: Setting;
}

function readReal(ctx: Context, s: Setting): Real[] {
  const [where = '', ...rest] = s.words;
  if (where === '') throw importInvalid(s, 'real needs an address');
  let method: Forwarding = 'dr';
  let weight = 1;
  let i = 0;
  const m = rest[i] === undefined ? undefined : METHODS[rest[i] as string];
  if (m !== undefined) {
    method = m;
    i++;
  }
  if (rest[i] !== undefined && /^\d{1,5}$/.test(rest[i] as string)) {
    weight = Number(rest[i]);
    if (weight > 65535) throw importInvalid(s, 'a weight is at most 65535');
    i++;
  }
  if (i < rest.length) {
    ctx.notes.add(
      s,
      'real',
      'lossy',
      "this server's own request/receive is not kept: the service's check applies to it",
    );
  }
  return addressRange(s, where).map((e) => ({ ...e, weight, method, at: s }));
}

interface CheckInput {
  byKey: Map<string, Setting>;
  /** The service's own settings: a global one unused by this service's check may serve another's. */
  own: Set<Setting>;
}

/** The service's health check, from its settings over the global ones; undefined: no check (noted where it matters). */
function healthCheck(ctx: Context, input: CheckInput, virtualPort: number | undefined): CheckSpec | undefined {
  const used = new Set<string>();
  const get = (key: string) => {
    used.add(key);
    return input.byKey.get(key);
  };
  const check = readCheck(ctx, get, virtualPort);
  for (const [key, s] of input.byKey) {
    if (used.has(key) || !input.own.has(s)) continue;
    const what = check === undefined ? 'the service has no health check' : `the check is "${check.type}"`;
    ctx.notes.add(s, key, 'unsupported', `${key} is not used (${what}); left out`);
  }
  return check;
}

function readCheck(
  ctx: Context,
  get: (key: string) => Setting | undefined,
  virtualPort: number | undefined,
): CheckSpec | undefined {
  const checktype = get('checktype');
  let kind = checktype === undefined ? 'negotiate' : first(checktype, 'a check type').toLowerCase();
  if (/^\d+$/.test(kind) || kind === 'combined') {
    ctx.notes.add(checktype as Setting, 'checktype', 'lossy', `${kind} is checked as "negotiate" at every check`);
    kind = 'negotiate';
  }
  if (kind === 'off' || kind === 'on') return undefined;
  if (kind === 'external' || kind === 'external-perl') {
    ctx.notes.add(
      checktype as Setting,
      'checktype',
      'unsupported',
      `${kind} runs a command, which the appliance does not; the service has no health check`,
    );
    return undefined;
  }
  const port = get('checkport') === undefined ? undefined : int(get('checkport') as Setting, 1, 65535);
  const serviceSetting = get('service');
  const service =
    serviceSetting === undefined
      ? (SERVICE_BY_PORT[port ?? virtualPort ?? 0] ?? 'none')
      : first(serviceSetting, 'a service').toLowerCase();
  let type: CheckSpec['type'];
  if (kind === 'connect') type = 'connect';
  else if (kind === 'ping') type = 'ping';
  else if (kind === 'negotiate') {
    type = NEGOTIATED[service] ?? 'connect';
    if (NEGOTIATED[service] === undefined) {
      const at = serviceSetting ?? checktype ?? get('request');
      if (at !== undefined)
        ctx.notes.add(at, at.key, 'lossy', `the ${service} exchange is not checked: a TCP connect is`);
    }
  } else throw importInvalid(checktype as Setting, `unknown checktype ${JSON.stringify(kind)}`);
  const negotiate = kind === 'negotiate';
  const timeoutSetting = (negotiate ? get('negotiatetimeout') : get('connecttimeout')) ?? get('checktimeout');
  const check: CheckSpec = {
    type,
    intervalSeconds:
      get('checkinterval') === undefined ? 5 : timer(ctx, get('checkinterval') as Setting, 'intervalSeconds'),
    timeoutSeconds: timeoutSetting === undefined ? (negotiate ? 30 : 5) : timer(ctx, timeoutSetting, 'timeoutSeconds'),
    // ldirectord takes a server back at its first good check.
    rise: 1,
    fall: get('failurecount') === undefined ? 1 : int(get('failurecount') as Setting, 1, 100),
  };
  if (port !== undefined && type !== 'ping') check.port = port;
  if (type === 'http' || type === 'https') {
    const request = get('request');
    if (request !== undefined) {
      const path = first(request, 'a path');
      const absolute = path.startsWith('/') ? path : `/${path}`;
      if (!/^\/\S*$/.test(absolute) || absolute.length > 1024)
        throw importInvalid(request, 'request must be a path without spaces');
      check.path = absolute;
    }
    const host = get('virtualhost');
    if (host !== undefined) {
      const name = first(host, 'a host name');
      if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(name))
        throw importInvalid(host, 'virtualhost must be a host name or address');
      check.host = name;
    }
    const receive = get('receive');
    if (receive !== undefined)
      ctx.notes.add(receive, 'receive', 'lossy', 'the body is not matched: the check expects a good status');
    const method = get('httpmethod');
    if (method !== undefined && first(method, 'GET or HEAD').toUpperCase() !== 'GET') {
      ctx.notes.add(method, 'httpmethod', 'lossy', 'the check sends GET');
    }
  }
  const count = get('checkcount');
  if (count !== undefined)
    ctx.notes.add(count, 'checkcount', 'lossy', 'one ping per check; failurecount counts the failures');
  return check;
}

/** One virtual section as a service (or none, noted). */
export function mapVirtual(ctx: Context, v: Virtual, labels: Labels, services: Service[]): void {
  const target = first(v.at, 'an address:port or a firewall mark');
  const settings = new Map<string, Setting>();
  for (const s of v.globals) settings.set(s.key, s);
  const own = new Map<string, Setting>();
  for (const s of v.settings) if (s.key !== 'real') own.set(s.key, s);
  for (const [key, s] of own) settings.set(key, s);
  const reals = v.settings.filter((s) => s.key === 'real').flatMap((s) => readReal(ctx, s));
  const service: Partial<Service> = {};
  const protocolSetting = settings.get('protocol');
  const protocol = protocolSetting === undefined ? undefined : first(protocolSetting, 'tcp, udp or fwm').toLowerCase();
  let virtualPort: number | undefined;
  if (/^\d{1,10}$/.test(target)) {
    const mark = int(v.at, 1, 4294967295);
    if (protocol !== undefined && protocol !== 'fwm')
      throw importInvalid(protocolSetting as Setting, 'a firewall-mark service takes protocol fwm');
    Object.assign(service, {
      label: labels.take(`fwm_${mark}`),
      vip: isIP(reals[0]?.address ?? '') === 6 ? '::' : '0.0.0.0',
      protocol: 'fwmark',
      fwmark: mark,
      ports: [],
    });
  } else {
    const { address, port } = endpoint(v.at, target);
    if (port === undefined) {
      ctx.notes.add(
        v.at,
        'virtual',
        'unsupported',
        'a service on every port (no port, or port 0) has no counterpart; left out with its real servers',
      );
      return;
    }
    if (protocol !== undefined && protocol !== 'tcp' && protocol !== 'udp')
      throw importInvalid(protocolSetting as Setting, 'protocol must be tcp or udp for an address');
    const udp = protocol === 'udp';
    virtualPort = port;
    Object.assign(service, {
      label: labels.take(`vs_${addressLabel(address)}_${port}${udp ? '_udp' : ''}`),
      vip: address,
      protocol: udp ? 'udp' : 'tcp',
      ports: [port],
    });
  }
  ctx.notes.mapped++;
  const forwarding = reals[0]?.method ?? 'dr';
  service.forwarding = forwarding;
  const realLabels = new Labels();
  const samePort = (at: Setting, port: number | undefined) =>
    keptPort(ctx.notes, at, at.key, forwarding, virtualPort, port);
  service.realServers = reals.map((r) => {
    if (r.method !== forwarding)
      ctx.notes.add(
        r.at,
        'real',
        'lossy',
        `the service forwards as ${forwarding.toUpperCase()} (its first real server's method) to every real server`,
      );
    const port = samePort(r.at, r.port);
    const real: RealServer = {
      label: realLabels.take(`rs_${addressLabel(r.address)}${port === undefined ? '' : `_${port}`}`),
      address: r.address,
      weight: r.weight,
    };
    if (port !== undefined) real.port = port;
    ctx.notes.mapped++;
    return real;
  });
  const check = new Map<string, Setting>();
  for (const [key, s] of settings) {
    if (CHECK_KEYS.has(key)) {
      check.set(key, s);
      continue;
    }
    if (key === 'real' || key === 'protocol' || key === 'netmask') continue;
    const isOwn = own.get(key) === s;
    mapSetting(ctx, s, service, forwarding, samePort, isOwn);
  }
  // After `persistent`, wherever it is written: the mask is the persistence's granularity.
  const netmask = settings.get('netmask');
  if (netmask !== undefined) mapSetting(ctx, netmask, service, forwarding, samePort, own.get('netmask') === netmask);
  const spec = healthCheck(ctx, { byKey: check, own: new Set(own.values()) }, virtualPort);
  if (spec !== undefined) service.healthCheck = ctx.checks.labelFor(spec);
  services.push(service as Service);
}

/** A service-level setting; `isOwn` false: a global one (noted once, where it is written). */
function mapSetting(
  ctx: Context,
  s: Setting,
  service: Partial<Service>,
  forwarding: Forwarding,
  samePort: (at: Setting, port: number | undefined) => number | undefined,
  isOwn: boolean,
): void {
  switch (s.key) {
    case 'scheduler': {
      const name = first(s, 'a scheduler');
      const scheduler = SCHEDULERS.find((x) => x === name);
      if (scheduler === undefined) throw importInvalid(s, `unknown scheduler ${JSON.stringify(name)}`);
      service.scheduler = scheduler;
      break;
    }
    case 'persistent':
      service.persistence = {
        timeoutSeconds: int(s, 1, 31536000),
        ...(service.persistence?.granularity === undefined ? {} : { granularity: service.persistence.granularity }),
      };
      break;
    case 'netmask': {
      const bits = prefixLength(first(s, 'a netmask'), 128);
      if (bits === undefined) throw importInvalid(s, 'netmask must be a netmask or a prefix length');
      if (service.persistence === undefined) ctx.notes.add(s, 'netmask', 'lossy', 'has no effect without persistent');
      else service.persistence.granularity = bits;
      break;
    }
    case 'fallback': {
      const { address, port } = endpoint(s, first(s, 'an address'));
      if (!isOwn && forwarding !== 'tun' && isIP(address) !== isIP(service.vip ?? '')) {
        // A global fallback serves the services of its own family, as IPVS can only do.
        ctx.notes.add(s, 'fallback', 'lossy', `not used for ${service.label}: another address family`);
        return;
      }
      const method = s.words[1] === undefined ? undefined : METHODS[s.words[1]];
      if (method !== undefined && method !== forwarding)
        ctx.notes.add(
          s,
          'fallback',
          'lossy',
          `the fallback server is reached as ${forwarding.toUpperCase()}, like the real servers`,
        );
      const kept = samePort(s, port);
      service.fallback = kept === undefined ? { address } : { address, port: kept };
      break;
    }
    case 'quiescent':
      if (!yesNo(s))
        ctx.notes.add(
          s,
          'quiescent',
          'lossy',
          'a failed real server keeps its place with weight 0 (the appliance is always quiescent)',
        );
      break;
    default:
      if (isOwn)
        ctx.notes.add(
          s,
          s.key,
          'unsupported',
          `${s.key} ${UNSUPPORTED[s.key] ?? 'has no counterpart in the appliance'}; left out`,
        );
      return;
  }
  if (isOwn) ctx.notes.mapped++;
}
