import type { z } from 'zod';
import { ApplianceError, type ApplianceErrorCode, fieldError } from '../errors.js';
import { isIPv4 } from './addresses.js';
import { personMessages } from './messages.js';
import { checkNetwork } from './network-rules.js';
import { type ApplianceConfig, configSchema, type PortSpec } from './schema.js';

/** Advice that does not stop a configuration from being stored. */
export interface ConfigWarning {
  /**
   * `CONFIG_*`: the configuration's own rules; `HOST_*`: this host cannot do what it asks
   * (an address no interface's network holds, a part the host cannot run), from the engine.
   */
  code:
    | 'CONFIG_NAT_GATEWAY'
    | 'CONFIG_DR_ARP'
    | 'CONFIG_NO_REAL_SERVERS'
    | 'CONFIG_MH_ORDER'
    | 'HOST_ADDRESS_UNPLACED'
    | 'HOST_PART_UNAVAILABLE'
    | 'HOST_NODE_UNLISTED';
  field: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; config: ApplianceConfig; errors: readonly []; warnings: readonly ConfigWarning[] }
  | { ok: false; config: undefined; errors: readonly ApplianceError[]; warnings: readonly ConfigWarning[] };

/** `['layer4', 2, 'realServers', 0, 'port']` -> `layer4[2].realServers[0].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function schemaErrors(error: z.ZodError): ApplianceError[] {
  return error.issues.map((issue) => {
    const path = [...issue.path];
    // An unknown field is reported at the field itself, not at the object holding it.
    if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
    const field = formatPath(path) || '(root)';
    return fieldError('CONFIG_INVALID', field, issue.message);
  });
}

const family = (ip: string): 4 | 6 => (isIPv4(ip) ? 4 : 6);

/** One spelling per address, so that `2001:db8::1` and `2001:0db8:0::1` collide. */
function canonical(ip: string): string {
  return isIPv4(ip) ? ip : new URL(`http://[${ip}]/`).hostname;
}

const rangeOf = (spec: PortSpec): [number, number] => (typeof spec === 'number' ? [spec, spec] : [spec.from, spec.to]);

interface Listener {
  key: string;
  from: number;
  to: number;
  field: string;
  owner: string;
}

/**
 * The checks that span objects, which a schema cannot express. Each finding names the
 * field at fault; everything is reported at once so a user fixes it all in one pass.
 */
export function checkSemantics(config: ApplianceConfig): { errors: ApplianceError[]; warnings: ConfigWarning[] } {
  const errors: ApplianceError[] = [];
  const warnings: ConfigWarning[] = [];
  const fail = (code: ApplianceErrorCode, field: string, message: string) =>
    errors.push(fieldError(code, field, message));
  const warn = (code: ConfigWarning['code'], field: string, message: string) =>
    warnings.push({ code, field, message: `${field}: ${message}` });

  /** A name used twice; `fieldOf(i)` (made only for a duplicate) names where the i-th is. */
  const unique = (names: readonly string[], fieldOf: (i: number) => string, what: string) => {
    if (distinct(names)) return;
    const seen = new Map<string, number>();
    names.forEach((name, i) => {
      const first = seen.get(name);
      if (first === undefined) seen.set(name, i);
      else fail('CONFIG_DUPLICATE_LABEL', fieldOf(i), `${what} "${name}" is already used by ${fieldOf(first)}`);
    });
  };
  const labels = (list: readonly { label: string }[]) => list.map((item) => item.label);

  // Virtual services share one namespace: the API and the status page address them by label.
  const l4 = config.layer4.length;
  const l7 = config.layer7.length;
  unique(
    [...labels(config.layer4), ...labels(config.layer7), ...labels(config.ssl)],
    (i) => (i < l4 ? `layer4[${i}].label` : i < l4 + l7 ? `layer7[${i - l4}].label` : `ssl[${i - l4 - l7}].label`),
    'virtual service label',
  );
  unique(labels(config.healthChecks), (i) => `healthChecks[${i}].label`, 'health check label');
  unique(labels(config.certificates), (i) => `certificates[${i}].label`, 'certificate label');
  unique(
    config.administration.users.map((u) => u.username),
    (i) => `administration.users[${i}].username`,
    'user name',
  );

  const healthChecks = new Set(config.healthChecks.map((c) => c.label));
  const certificates = new Set(config.certificates.map((c) => c.label));
  const layer7Labels = new Set(config.layer7.map((s) => s.label));
  const listeners: Listener[] = [];

  // Loops rather than push(...list): this runs for every service at every change.
  const append = <T>(to: T[], from: readonly T[]) => {
    for (let k = 0; k < from.length; k++) to.push(from[k] as T);
  };
  config.layer4.forEach((service, i) => {
    const local = layer4Rules(service, i);
    append(errors, local.labelErrors);
    if (service.healthCheck !== undefined && !healthChecks.has(service.healthCheck)) {
      fail(
        'CONFIG_UNKNOWN_REFERENCE',
        `layer4[${i}].healthCheck`,
        `no health check is labelled "${service.healthCheck}"`,
      );
    }
    append(errors, local.errors);
    append(warnings, local.warnings);
    append(listeners, local.listeners);
  });

  config.layer7.forEach((service, i) => {
    const at = `layer7[${i}]`;
    unique(labels(service.realServers), (j) => `${at}.realServers[${j}].label`, 'real server label');
    if (service.healthCheck !== undefined && !healthChecks.has(service.healthCheck)) {
      fail('CONFIG_UNKNOWN_REFERENCE', `${at}.healthCheck`, `no health check is labelled "${service.healthCheck}"`);
    }
    const persistence = service.persistence.type;
    if (service.mode === 'tcp' && (persistence === 'cookie-insert' || persistence === 'passive-cookie')) {
      fail('CONFIG_CONFLICT', `${at}.persistence.type`, 'cookie persistence needs mode "http"');
    }
    if (service.mode === 'http' && persistence === 'rdp-cookie') {
      fail('CONFIG_CONFLICT', `${at}.persistence.type`, 'RDP cookie persistence needs mode "tcp"');
    }
    if (service.mode === 'tcp' && service.urlRules.length > 0) {
      fail('CONFIG_CONFLICT', `${at}.urlRules`, 'URL switching needs mode "http"');
    }
    service.urlRules.forEach((rule, k) => {
      if (!layer7Labels.has(rule.service)) {
        fail(
          'CONFIG_UNKNOWN_REFERENCE',
          `${at}.urlRules[${k}].service`,
          `no Layer 7 service is labelled "${rule.service}"`,
        );
      }
    });
    service.ports.forEach((spec, k) => {
      const [from, to] = rangeOf(spec);
      listeners.push({ key: `${canonical(service.vip)}/tcp`, from, to, field: `${at}.ports[${k}]`, owner: at });
    });
    if (service.realServers.length === 0 && service.fallback === undefined && service.urlRules.length === 0) {
      warn('CONFIG_NO_REAL_SERVERS', at, 'no real servers and no fallback server: clients will be refused');
    }
  });

  config.ssl.forEach((termination, i) => {
    const at = `ssl[${i}]`;
    if (!certificates.has(termination.certificate)) {
      fail('CONFIG_UNKNOWN_REFERENCE', `${at}.certificate`, `no certificate is labelled "${termination.certificate}"`);
    }
    if (!layer7Labels.has(termination.service)) {
      fail('CONFIG_UNKNOWN_REFERENCE', `${at}.service`, `no Layer 7 service is labelled "${termination.service}"`);
    }
    listeners.push({
      key: `${canonical(termination.vip)}/tcp`,
      from: termination.port,
      to: termination.port,
      field: `${at}.port`,
      owner: at,
    });
  });

  checkListeners(listeners, fail);

  const listedTwice = (items: readonly { key: string; field: string }[], what: string) => {
    const seen = new Map<string, string>();
    for (const { key, field } of items) {
      const first = seen.get(key);
      if (first === undefined) seen.set(key, field);
      else fail('CONFIG_CONFLICT', field, `${what} ${key} is already listed at ${first}`);
    }
  };
  listedTwice(
    config.floatingIps.map((ip, i) => ({
      key: canonical(ip.address.split('/')[0] ?? ''),
      field: `floatingIps[${i}].address`,
    })),
    'floating IP',
  );
  listedTwice(
    config.network.interfaces.map((nic, i) => ({ key: nic.name, field: `network.interfaces[${i}].name` })),
    'interface',
  );
  checkNetwork(config.network, fail);
  checkCluster(config, fail);

  const admin = config.administration;
  if (admin.httpPort === admin.httpsPort) {
    fail('CONFIG_CONFLICT', 'administration.httpsPort', 'must differ from httpPort');
  }
  return { errors, warnings };
}

/**
 * An ECMP cluster: every node announces the VIPs and picks real servers on its own, so the
 * rules that make every node pick the same one (`mh`, DR or TUN) are required, and what
 * belongs to a pair (the heartbeat, floating IPs) is refused.
 */
function checkCluster(config: ApplianceConfig, fail: (code: ApplianceErrorCode, field: string, m: string) => void) {
  const cluster = config.cluster;
  if (cluster?.mode !== 'ecmp') return;
  if (cluster.nodes.length === 0) fail('CONFIG_INVALID', 'cluster.nodes', 'an ECMP cluster lists at least one node');
  if (cluster.bgp === undefined) fail('CONFIG_INVALID', 'cluster.bgp', 'an ECMP cluster announces its VIPs over BGP');
  if (cluster.key === undefined) {
    fail(
      'CONFIG_INVALID',
      'cluster.key',
      'an ECMP cluster signs the versions it replicates with a key (16+ characters)',
    );
  }
  const names = new Map<string, number>();
  const addresses = new Map<string, number>();
  cluster.nodes.forEach((node, i) => {
    const at = `cluster.nodes[${i}]`;
    const name = names.get(node.name);
    if (name !== undefined)
      fail('CONFIG_DUPLICATE_LABEL', `${at}.name`, `node "${node.name}" is already cluster.nodes[${name}]`);
    else names.set(node.name, i);
    const key = canonical(node.address);
    const same = addresses.get(key);
    if (same !== undefined)
      fail('CONFIG_CONFLICT', `${at}.address`, `${node.address} is already cluster.nodes[${same}]`);
    else addresses.set(key, i);
    if (node.routerId === undefined && node.address.includes(':')) {
      fail(
        'CONFIG_INVALID',
        `${at}.routerId`,
        'BGP router ids are IPv4 addresses: give one to a node with an IPv6 address',
      );
    }
  });
  const peers = new Map<string, number>();
  cluster.bgp?.peers.forEach((peer, i) => {
    const key = canonical(peer.address);
    const same = peers.get(key);
    if (same !== undefined)
      fail(
        'CONFIG_CONFLICT',
        `cluster.bgp.peers[${i}].address`,
        `${peer.address} is already cluster.bgp.peers[${same}]`,
      );
    else peers.set(key, i);
  });
  if (config.heartbeat?.enabled) {
    fail('CONFIG_CONFLICT', 'heartbeat.enabled', 'an ECMP cluster has no master/slave heartbeat: every node is active');
  }
  if (config.floatingIps.length > 0) {
    fail(
      'CONFIG_CONFLICT',
      'floatingIps',
      'an ECMP cluster announces its VIPs over BGP: floating IPs belong to a pair',
    );
  }
  config.layer4.forEach((service, i) => {
    if (service.scheduler !== 'mh') {
      fail(
        'CONFIG_CONFLICT',
        `layer4[${i}].scheduler`,
        'an ECMP cluster needs "mh" (Maglev hashing), so that every node picks the same real server for a flow',
      );
    }
    if (service.forwarding === 'nat') {
      fail(
        'CONFIG_CONFLICT',
        `layer4[${i}].forwarding`,
        'an ECMP cluster needs "dr" or "tun": with NAT the replies would have to come back through the node that took the flow',
      );
    }
  });
}

/** Whether no name is listed twice: a sorted copy, which allocates less than a map of a thousand labels. */
function distinct(names: readonly string[]): boolean {
  const sorted = names.slice().sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return false;
  return true;
}

interface Layer4Rules {
  /** Duplicate real server labels (reported before the health check reference). */
  labelErrors: ApplianceError[];
  errors: ApplianceError[];
  warnings: ConfigWarning[];
  listeners: Listener[];
}

/**
 * What the rules say about one Layer 4 service on its own (everything but its health
 * check reference), at index `i`. Kept for a frozen service without errors: a stored
 * configuration's services are frozen and shared by the versions after it, so a change
 * checks again only the services it made, without allocating anew for the thousand others.
 */
const layer4Cache = new WeakMap<object, { index: number; rules: Layer4Rules }>();

function layer4Rules(service: ApplianceConfig['layer4'][number], i: number): Layer4Rules {
  // Apart from the work below: V8 allocates a function's closure context on entry.
  const cached = layer4Cache.get(service);
  return cached !== undefined && cached.index === i ? cached.rules : findLayer4Rules(service, i);
}

function findLayer4Rules(service: ApplianceConfig['layer4'][number], i: number): Layer4Rules {
  const rules: Layer4Rules = { labelErrors: [], errors: [], warnings: [], listeners: [] };
  const { errors, warnings, listeners } = rules;
  const fail = (code: ApplianceErrorCode, field: string, message: string) =>
    errors.push(fieldError(code, field, message));
  const warn = (code: ConfigWarning['code'], field: string, message: string) =>
    warnings.push({ code, field, message: `${field}: ${message}` });
  const at = `layer4[${i}]`;
  const seen = new Map<string, number>();
  service.realServers.forEach((real, j) => {
    const first = seen.get(real.label);
    if (first === undefined) seen.set(real.label, j);
    else {
      rules.labelErrors.push(
        fieldError(
          'CONFIG_DUPLICATE_LABEL',
          `${at}.realServers[${j}].label`,
          `real server label "${real.label}" is already used by ${at}.realServers[${first}].label`,
        ),
      );
    }
  });
  const vipFamily = family(service.vip);
  if (service.protocol === 'fwmark') {
    if (service.fwmark === undefined) fail('CONFIG_CONFLICT', `${at}.fwmark`, 'a firewall-mark service needs a mark');
    if (service.ports.length > 0) {
      fail('CONFIG_CONFLICT', `${at}.ports`, 'a firewall-mark service takes its ports from the rule that marks');
    }
    if (service.fwmark !== undefined) {
      listeners.push({
        key: `fwmark/${vipFamily}`,
        from: service.fwmark,
        to: service.fwmark,
        field: `${at}.fwmark`,
        owner: at,
      });
    }
  } else {
    if (service.fwmark !== undefined) {
      fail('CONFIG_CONFLICT', `${at}.fwmark`, `a mark needs protocol "fwmark", not "${service.protocol}"`);
    }
    if (service.ports.length === 0) fail('CONFIG_CONFLICT', `${at}.ports`, 'a service needs at least one port');
    const protocols = service.protocol === 'both' ? ['tcp', 'udp'] : [service.protocol];
    service.ports.forEach((spec, k) => {
      const [from, to] = rangeOf(spec);
      for (const protocol of protocols) {
        listeners.push({
          key: `${canonical(service.vip)}/${protocol}`,
          from,
          to,
          field: `${at}.ports[${k}]`,
          owner: at,
        });
      }
    });
  }
  if (service.persistence?.granularity !== undefined && vipFamily === 4 && service.persistence.granularity > 32) {
    fail('CONFIG_CONFLICT', `${at}.persistence.granularity`, 'an IPv4 prefix length is at most 32');
  }
  // DR rewrites only the MAC and TUN encapsulates: neither can change the port.
  const single = service.ports.length === 1 ? rangeOf(service.ports[0] as PortSpec) : undefined;
  const virtualPort = single !== undefined && single[0] === single[1] ? single[0] : undefined;
  const sameFamily = service.forwarding !== 'tun';
  service.realServers.forEach((real, j) => {
    const rat = `${at}.realServers[${j}]`;
    if (
      service.forwarding !== 'nat' &&
      service.ports.length > 0 &&
      real.port !== undefined &&
      real.port !== virtualPort
    ) {
      fail(
        'CONFIG_PORT_TRANSLATION',
        `${rat}.port`,
        virtualPort === undefined
          ? `${service.forwarding.toUpperCase()} cannot translate ports: leave the port out for a service with several ports`
          : `${service.forwarding.toUpperCase()} cannot translate ports: must be ${virtualPort} (the virtual port) or left out`,
      );
    }
    if (sameFamily && family(real.address) !== vipFamily) {
      fail(
        'CONFIG_ADDRESS_FAMILY',
        `${rat}.address`,
        `must be IPv${vipFamily} like the VIP: ${service.forwarding.toUpperCase()} cannot change the address family`,
      );
    }
    // IPVS compares the two thresholds as they are (0 is "no upper threshold" only to the
    // scheduler): a lower one above the upper, 0 included, is the kernel's ERANGE at apply.
    if (real.minConnections > real.maxConnections) {
      fail(
        'CONFIG_CONFLICT',
        `${rat}.minConnections`,
        real.maxConnections === 0
          ? 'needs maxConnections (at least as large): IPVS takes no lower threshold without an upper one'
          : 'must not exceed maxConnections',
      );
    }
  });
  if (service.fallback !== undefined) {
    if (sameFamily && family(service.fallback.address) !== vipFamily) {
      fail('CONFIG_ADDRESS_FAMILY', `${at}.fallback.address`, `must be IPv${vipFamily} like the VIP`);
    }
    const fallbackPort = service.fallback.port;
    if (
      service.forwarding !== 'nat' &&
      service.ports.length > 0 &&
      fallbackPort !== undefined &&
      fallbackPort !== virtualPort
    ) {
      fail('CONFIG_PORT_TRANSLATION', `${at}.fallback.port`, 'DR and TUN cannot translate ports');
    }
  }
  if (service.forwarding === 'nat') {
    warn(
      'CONFIG_NAT_GATEWAY',
      at,
      "NAT needs this balancer (a floating IP on the real servers' network) to be the real servers' default gateway",
    );
  } else if (service.forwarding === 'dr' && service.realServers.length > 0) {
    warn('CONFIG_DR_ARP', at, 'DR real servers must hold the VIP on loopback and not answer ARP for it (arp-fix)');
  }
  if (service.realServers.length === 0 && service.fallback === undefined) {
    warn('CONFIG_NO_REAL_SERVERS', at, 'no real servers and no fallback server: clients will be refused');
  }
  if (rules.labelErrors.length === 0 && errors.length === 0 && isFrozenDeep(service)) {
    layer4Cache.set(service, { index: i, rules });
  }
  return rules;
}

/** Whether nothing in `value` can change any more (so that what was found about it stays true). */
function isFrozenDeep(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const inner of Object.values(value)) if (!isFrozenDeep(inner)) return false;
  return true;
}

/**
 * Whether no two listeners on one VIP and protocol overlap: one sort of the whole list
 * and a sweep, which allocates far less than grouping by key (this runs at every change).
 */
function noOverlap(listeners: readonly Listener[]): boolean {
  const sorted = listeners.slice().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.from - b.from));
  for (let i = 1, widest = sorted[0] as Listener; i < sorted.length; i++) {
    const listener = sorted[i] as Listener;
    if (listener.key !== widest.key) widest = listener;
    else if (listener.from <= widest.to) return false;
    else if (listener.to > widest.to) widest = listener;
  }
  return true;
}

/** Two listeners on one VIP and protocol whose port ranges overlap, found by one sweep per key. */
function checkListeners(listeners: Listener[], fail: (code: ApplianceErrorCode, field: string, m: string) => void) {
  if (noOverlap(listeners)) return;
  const byKey = new Map<string, Listener[]>();
  for (const listener of listeners) {
    const list = byKey.get(listener.key);
    if (list === undefined) byKey.set(listener.key, [listener]);
    else list.push(listener);
  }
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.from - b.from || a.to - b.to);
    let widest: Listener | undefined;
    for (const listener of list) {
      if (widest !== undefined && listener.from <= widest.to) {
        const [vip, protocol] = key.split('/');
        const what = protocol === '4' || protocol === '6' ? `firewall mark ${listener.from}` : `${vip} ${protocol}`;
        fail(
          'CONFIG_DUPLICATE_LISTENER',
          listener.field,
          `${what} port ${listener.from}${listener.to === listener.from ? '' : `-${listener.to}`} overlaps ${widest.field}`,
        );
      }
      if (widest === undefined || listener.to > widest.to) widest = listener;
    }
  }
}

/** Schema, then semantics: every error with its code and field, and the warnings. */
export function validateConfig(input: unknown): ValidationResult {
  const parsed = configSchema.safeParse(input, personMessages);
  if (!parsed.success) return { ok: false, config: undefined, errors: schemaErrors(parsed.error), warnings: [] };
  const { errors, warnings } = checkSemantics(parsed.data);
  if (errors.length > 0) return { ok: false, config: undefined, errors, warnings };
  return { ok: true, config: parsed.data, errors: [], warnings };
}

/** The configuration with its defaults filled in, or a CONFIG_REJECTED error holding every issue. */
export function parseConfig(input: unknown): { config: ApplianceConfig; warnings: readonly ConfigWarning[] } {
  const result = validateConfig(input);
  if (result.ok) return { config: result.config, warnings: result.warnings };
  throw rejected(result.errors);
}

export function rejected(errors: readonly ApplianceError[]): ApplianceError {
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new ApplianceError('CONFIG_REJECTED', `configuration rejected: ${first?.message ?? 'invalid'}${more}`, {
    ...(first?.field === undefined ? {} : { field: first.field }),
    issues: errors,
  });
}
