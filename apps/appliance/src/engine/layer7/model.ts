/**
 * The pure mapping: the appliance's Layer 7 services, SSL terminations, certificates and
 * health checks -> an @sluice/haproxy-config model. No I/O; the same configuration gives the
 * same model (and so the same haproxy.cfg bytes), which is what lets the driver tell a
 * runtime-only change from one that needs a reload.
 *
 * Decisions the configuration leaves open:
 * - Every bind carries `transparent` (IP_TRANSPARENT): HAProxy can listen on a VIP this
 *   node does not hold yet (the passive node of a pair, or before the floating IP is up),
 *   with no host-wide `net.ipv4.ip_nonlocal_bind`. It needs CAP_NET_ADMIN, which the
 *   driver's probe asks for anyway (TPROXY needs it too).
 * - Admin states are not in the text: they are runtime state (`set server ... state`),
 *   kept over reloads by the server-state file, so taking a server offline never reloads.
 * - Backends are named by the service's label and servers by the real server's label, so
 *   HAProxy's own statistics read like the configuration. The fallback server is a
 *   `backup` server named `sluice:fallback` (a `:` no label can hold) without a check.
 * - Balancing is weighted round robin (the configuration has no Layer 7 scheduler), except
 *   for hash persistence in an ECMP cluster (below).
 * - In an ECMP cluster the router may send a client's next connection to any node, and each
 *   node's HAProxy has its own stick tables. So source-IP and RDP-cookie persistence become
 *   `balance source` / `balance rdp-cookie(mstshash)` with `hash-type consistent` and no table,
 *   and those backends' servers get ids from their labels (server-ids.ts): every node then
 *   computes the same real server for a client or cookie. Cookie persistence needs nothing:
 *   the cookie's value is the real server's label, which every node reads the same way.
 * - Every HTTP frontend sets X-Forwarded-Proto (http or https) over what the client sent.
 */
import { isIPv6 } from 'node:net';
import type {
  Backend,
  Balance,
  Frontend,
  HaproxyConfig,
  HealthCheck as HaproxyHealthCheck,
  LogTarget,
  Persistence,
  Server,
  SwitchRule,
} from '@sluice/haproxy-config';
import { ApplianceError } from '../../errors.js';
import { DEFAULT_COOKIES } from '../../model/persistence-cookies.js';
import {
  type ApplianceConfig,
  clusterMode,
  type HealthCheck,
  type Layer7Service,
  type PortSpec,
  type SslTermination,
} from '../../model/schema.js';
import { FieldMap } from './fields.js';
import { serverIdsByLabel } from './server-ids.js';

export const FALLBACK_SERVER = 'sluice:fallback';
/** HAProxy's model has no port ranges: one bind line per port, up to this many per listener. */
export const MAX_PORTS_PER_SERVICE = 1024;
const DEFAULT_INSERT_COOKIE = DEFAULT_COOKIES['cookie-insert'];
const DEFAULT_PASSIVE_COOKIE = DEFAULT_COOKIES['passive-cookie'];
/** Long-lived TCP sessions (RDP, databases) would be cut by HTTP's 50 s idle timeouts. */
const TCP_IDLE_MS = 3_600_000;

export interface Layer7ModelOptions {
  /** HAProxy's admin socket (the supervisor reaches workers through the master socket). */
  adminSocket: string;
  /** Where server states are saved across reloads. */
  serverStateFile: string;
  /** HAProxy's own traffic log targets (default none: the driver logs its actions itself). */
  log?: LogTarget[];
}

/** A real server as HAProxy knows it, with the configuration it came from. */
export interface Layer7ServerEntry {
  service: string;
  server: string;
  /** The configured weight, which the runtime API puts back after drift. */
  weight: number;
  /** HAProxy checks this server's health. */
  checked: boolean;
}

export interface Layer7Model {
  model: HaproxyConfig;
  /** Real servers (not fallback servers) by `service/server`, in configuration order. */
  servers: Layer7ServerEntry[];
  /** What the mapping did that the configuration did not say (a ping check run as a connect check). */
  notes: string[];
  /** Model field -> configuration field, for errors. */
  fields: FieldMap;
}

function expandPorts(specs: readonly PortSpec[], field: string): number[] {
  const ports: number[] = [];
  for (const spec of specs) {
    const [from, to] = typeof spec === 'number' ? [spec, spec] : [spec.from, spec.to];
    for (let p = from; p <= to; p++) {
      ports.push(p);
      if (ports.length > MAX_PORTS_PER_SERVICE) {
        throw new ApplianceError(
          'CONFIG_CONFLICT',
          `${field}: a Layer 7 service listens on at most ${MAX_PORTS_PER_SERVICE} ports (HAProxy binds each one)`,
          { field },
        );
      }
    }
  }
  return [...new Set(ports)];
}

interface CheckMapping {
  check: HaproxyHealthCheck | undefined;
  /** Seconds HAProxy waits for a check's answer. */
  timeoutMs: number | undefined;
  port: number | undefined;
  note?: string;
}

function healthCheckOf(
  service: Layer7Service,
  at: string,
  checks: ReadonlyMap<string, { check: HealthCheck; index: number }>,
  fields: FieldMap,
  backendField: string,
): CheckMapping | undefined {
  if (service.healthCheck === undefined) return undefined;
  const found = checks.get(service.healthCheck);
  if (found === undefined) {
    throw new ApplianceError(
      'CONFIG_UNKNOWN_REFERENCE',
      `${at}.healthCheck: no health check is labelled "${service.healthCheck}"`,
      { field: `${at}.healthCheck` },
    );
  }
  const { check, index } = found;
  const hc = `healthChecks[${index}]`;
  fields.set(`${backendField}.healthCheck`, hc);
  fields.set(`${backendField}.healthCheck.path`, `${hc}.path`);
  fields.set(`${backendField}.healthCheck.host`, `${hc}.host`);
  fields.set(`${backendField}.healthCheck.expectStatus`, `${hc}.expectStatus`);
  const timing = {
    intervalMs: check.intervalSeconds * 1000,
    rise: check.rise,
    fall: check.fall,
  };
  const base = { timeoutMs: check.timeoutSeconds * 1000, port: check.port };
  const connect = (note?: string): CheckMapping => ({
    check: { type: 'tcp', ...timing },
    ...base,
    ...(note === undefined ? {} : { note }),
  });
  switch (check.type) {
    case 'connect':
      return connect();
    case 'ping':
      return connect(
        `${at}: health check "${check.label}" is ping; HAProxy cannot send ICMP, so it runs as a TCP connect check to each real server's port`,
      );
    case 'http':
    case 'https':
      // HAProxy runs HTTP checks against tcp-mode backends as well; https adds check-ssl.
      return {
        check: {
          type: 'http',
          ...timing,
          ...(check.type === 'https' ? { tls: true } : {}),
          ...(check.path === undefined ? {} : { path: check.path }),
          ...(check.host === undefined ? {} : { host: check.host }),
          ...(check.expectStatus === undefined ? {} : { expectStatus: check.expectStatus }),
        },
        ...base,
      };
  }
}

function persistenceOf(service: Layer7Service, anyIpv6: boolean, notes: string[], at: string): Persistence {
  const p = service.persistence;
  switch (p.type) {
    case 'none':
      return { type: 'none' };
    case 'cookie-insert':
      return {
        type: 'cookie-insert',
        cookie: p.cookieName ?? DEFAULT_INSERT_COOKIE,
        httpOnly: true,
        ...(p.timeoutSeconds === undefined ? {} : { maxIdle: p.timeoutSeconds }),
      };
    case 'passive-cookie':
      if (p.cookieName === undefined) {
        notes.push(`${at}: passive cookie persistence without a cookie name follows "${DEFAULT_PASSIVE_COOKIE}"`);
      }
      // HAProxy prefixes the application's own cookie with the server's id and strips it on the way in.
      return { type: 'cookie-prefix', cookie: p.cookieName ?? DEFAULT_PASSIVE_COOKIE };
    case 'source-ip':
      // An IPv6 table holds IPv4 clients too (mapped), so one VIP of either family reaching this backend works.
      return {
        type: 'source',
        family: anyIpv6 ? 'ipv6' : 'ipv4',
        ...(p.timeoutSeconds === undefined ? {} : { expireSeconds: p.timeoutSeconds }),
      };
    case 'rdp-cookie':
      return { type: 'rdp-cookie', ...(p.timeoutSeconds === undefined ? {} : { expireSeconds: p.timeoutSeconds }) };
  }
}

interface Balancing {
  balance: Balance;
  persistence: Persistence;
  /** Servers are placed on a consistent-hash ring: they need ids every node agrees on. */
  hashed: boolean;
}

/**
 * Round robin with the service's persistence; in an ECMP cluster, hash persistence is a
 * consistent hash instead of a table (a table lives on one node, the client's next
 * connection may reach another).
 */
function balancingOf(service: Layer7Service, anyIpv6: boolean, notes: string[], at: string, ecmp: boolean): Balancing {
  const p = service.persistence;
  if (ecmp && (p.type === 'source-ip' || p.type === 'rdp-cookie')) {
    if (p.timeoutSeconds !== undefined) {
      notes.push(
        `${at}: in an ECMP cluster ${p.type} persistence is a consistent hash that every node computes alike, not a table: timeoutSeconds does not apply`,
      );
    }
    return {
      balance: { algorithm: p.type === 'source-ip' ? 'source' : 'rdp-cookie', hashType: 'consistent' },
      persistence: { type: 'none' },
      hashed: true,
    };
  }
  return {
    balance: { algorithm: 'roundrobin' },
    persistence: persistenceOf(service, anyIpv6, notes, at),
    hashed: false,
  };
}

function rulesOf(
  service: Layer7Service,
  at: string,
  byLabel: ReadonlyMap<string, Layer7Service>,
  fields: FieldMap,
  frontendField: string,
): SwitchRule[] {
  return service.urlRules.map((rule, k) => {
    const rf = `${at}.urlRules[${k}]`;
    const target = byLabel.get(rule.service);
    if (target === undefined) {
      throw new ApplianceError(
        'CONFIG_UNKNOWN_REFERENCE',
        `${rf}.service: no Layer 7 service is labelled "${rule.service}"`,
        { field: `${rf}.service` },
      );
    }
    if (target.mode !== service.mode) {
      throw new ApplianceError(
        'CONFIG_CONFLICT',
        `${rf}.service: "${rule.service}" is mode ${target.mode}, this service is mode ${service.mode}`,
        { field: `${rf}.service` },
      );
    }
    const mf = `${frontendField}.rules[${k}]`;
    fields.set(mf, rf);
    fields.set(`${mf}.conditions`, `${rf}.value`);
    fields.set(`${mf}.backend`, `${rf}.service`);
    const kind = rule.match === 'path-prefix' ? 'pathPrefix' : rule.match === 'path-suffix' ? 'pathSuffix' : 'host';
    return { name: `url${k}`, backend: rule.service, conditions: [{ kind, values: [rule.value] }] };
  });
}

function frontendOf(
  service: Layer7Service,
  at: string,
  byLabel: ReadonlyMap<string, Layer7Service>,
  fields: FieldMap,
  frontendField: string,
): Frontend {
  fields.set(frontendField, at);
  fields.set(`${frontendField}.name`, `${at}.label`);
  fields.set(`${frontendField}.comment`, `${at}.description`);
  fields.set(`${frontendField}.binds`, `${at}.vip`);
  fields.set(`${frontendField}.binds[0].ports`, `${at}.ports`);
  const http = service.mode === 'http';
  const rules = rulesOf(service, at, byLabel, fields, frontendField);
  return {
    name: service.label,
    mode: service.mode,
    binds: [{ address: service.vip, ports: expandPorts(service.ports, `${at}.ports`), transparent: true }],
    ...(http && service.xForwardedFor ? { forwardFor: true } : {}),
    // Set on every HTTP frontend, never passed through: a client's own `X-Forwarded-Proto:
    // https` on the plain listener would make a real server believe the request was encrypted.
    ...(http ? { forwardedProto: true } : {}),
    ...(rules.length > 0 ? { rules } : {}),
    defaultBackend: service.label,
    ...(http ? {} : { timeouts: { client: TCP_IDLE_MS } }),
    ...(service.description ? { comment: service.description } : {}),
  };
}

function sslFrontendOf(
  termination: SslTermination,
  at: string,
  byLabel: ReadonlyMap<string, Layer7Service>,
  layer7Index: ReadonlyMap<string, number>,
  certificates: ReadonlyMap<string, { file: string; index: number }>,
  fields: FieldMap,
  frontendField: string,
): Frontend {
  const service = byLabel.get(termination.service);
  if (service === undefined) {
    throw new ApplianceError(
      'CONFIG_UNKNOWN_REFERENCE',
      `${at}.service: no Layer 7 service is labelled "${termination.service}"`,
      { field: `${at}.service` },
    );
  }
  const certificate = certificates.get(termination.certificate);
  if (certificate === undefined) {
    throw new ApplianceError(
      'CONFIG_UNKNOWN_REFERENCE',
      `${at}.certificate: no certificate is labelled "${termination.certificate}"`,
      { field: `${at}.certificate` },
    );
  }
  fields.set(frontendField, at);
  fields.set(`${frontendField}.name`, `${at}.label`);
  fields.set(`${frontendField}.comment`, `${at}.description`);
  fields.set(`${frontendField}.binds`, `${at}.vip`);
  fields.set(`${frontendField}.binds[0].ports`, `${at}.port`);
  fields.set(`${frontendField}.binds[0].tls.certificates`, `certificates[${certificate.index}].file`);
  const http = service.mode === 'http';
  // The decrypted requests are the service's own: its URL switching applies to them too.
  const serviceAt = `layer7[${layer7Index.get(service.label)}]`;
  const rules = rulesOf(service, serviceAt, byLabel, fields, frontendField);
  return {
    name: termination.label,
    mode: service.mode,
    binds: [
      {
        address: termination.vip,
        ports: [termination.port],
        transparent: true,
        tls: { certificates: [certificate.file] },
      },
    ],
    ...(http && service.xForwardedFor ? { forwardFor: true } : {}),
    ...(http ? { forwardedProto: true } : { timeouts: { client: TCP_IDLE_MS } }),
    ...(rules.length > 0 ? { rules } : {}),
    defaultBackend: service.label,
    ...(termination.description ? { comment: termination.description } : {}),
  };
}

function backendOf(
  service: Layer7Service,
  at: string,
  anyIpv6: boolean,
  checks: ReadonlyMap<string, { check: HealthCheck; index: number }>,
  fields: FieldMap,
  backendField: string,
  notes: string[],
  entries: Layer7ServerEntry[],
  ecmp: boolean,
): Backend {
  fields.set(backendField, at);
  fields.set(`${backendField}.name`, `${at}.label`);
  fields.set(`${backendField}.persistence`, `${at}.persistence`);
  fields.set(`${backendField}.persistence.cookie`, `${at}.persistence.cookieName`);
  const health = healthCheckOf(service, at, checks, fields, backendField);
  if (health?.note !== undefined) notes.push(health.note);
  const checked = health !== undefined;
  const healthIndex = service.healthCheck === undefined ? undefined : checks.get(service.healthCheck)?.index;
  // A server without a port gets the port the client connected to; its check (HAProxy has
  // none to use) goes to the service's first port, where such a server listens too.
  const first = service.ports[0];
  const servicePort = typeof first === 'number' ? first : first?.from;
  const { balance, persistence, hashed } = balancingOf(service, anyIpv6, notes, at, ecmp);
  const ids = hashed ? serverIdsByLabel(service.realServers.map((rs) => rs.label)) : undefined;
  const servers: Server[] = service.realServers.map((rs, s) => {
    const sf = `${backendField}.servers[${s}]`;
    fields.set(sf, `${at}.realServers[${s}]`);
    fields.set(`${sf}.name`, `${at}.realServers[${s}].label`);
    if (healthIndex !== undefined) fields.set(`${sf}.checkPort`, `healthChecks[${healthIndex}].port`);
    entries.push({ service: service.label, server: rs.label, weight: rs.weight, checked });
    const id = ids?.get(rs.label);
    if (id !== undefined) fields.set(`${sf}.id`, `${at}.realServers[${s}].label`);
    return {
      name: rs.label,
      ...(id === undefined ? {} : { id }),
      address: rs.address,
      ...(rs.port === undefined ? {} : { port: rs.port }),
      weight: rs.weight,
      ...(rs.maxConnections > 0 ? { maxconn: rs.maxConnections } : {}),
      check: checked,
      ...(health?.port !== undefined
        ? { checkPort: health.port }
        : checked && rs.port === undefined && servicePort !== undefined
          ? { checkPort: servicePort }
          : {}),
    };
  });
  if (service.fallback !== undefined) {
    fields.set(`${backendField}.servers[${servers.length}]`, `${at}.fallback`);
    servers.push({
      name: FALLBACK_SERVER,
      address: service.fallback.address,
      ...(service.fallback.port === undefined ? {} : { port: service.fallback.port }),
      backup: true,
      check: false,
    });
  }
  const http = service.mode === 'http';
  const timeouts = {
    ...(health?.timeoutMs === undefined ? {} : { check: health.timeoutMs }),
    ...(http ? {} : { server: TCP_IDLE_MS }),
  };
  return {
    name: service.label,
    mode: service.mode,
    balance,
    persistence,
    ...(health?.check === undefined ? {} : { healthCheck: health.check }),
    ...(service.tproxy ? { transparent: true } : {}),
    ...(Object.keys(timeouts).length > 0 ? { timeouts } : {}),
    servers,
  };
}

/** The HAProxy model of a configuration's Layer 7 part. Throws ApplianceError (CONFIG_*) naming the field. */
export function layer7Model(config: ApplianceConfig, options: Layer7ModelOptions): Layer7Model {
  const fields = new FieldMap();
  const notes: string[] = [];
  const servers: Layer7ServerEntry[] = [];
  const byLabel = new Map(config.layer7.map((s) => [s.label, s]));
  const layer7Index = new Map(config.layer7.map((s, i) => [s.label, i]));
  const checks = new Map(config.healthChecks.map((check, index) => [check.label, { check, index }]));
  const certificates = new Map(config.certificates.map((c, index) => [c.label, { file: c.file, index }]));
  const anyIpv6 = [...config.layer7, ...config.ssl].some((s) => isIPv6(s.vip));
  const ecmp = clusterMode(config) === 'ecmp';

  const frontends: Frontend[] = [];
  const backends: Backend[] = [];
  config.layer7.forEach((service, i) => {
    const at = `layer7[${i}]`;
    frontends.push(frontendOf(service, at, byLabel, fields, `frontends[${frontends.length}]`));
    backends.push(
      backendOf(service, at, anyIpv6, checks, fields, `backends[${backends.length}]`, notes, servers, ecmp),
    );
  });
  config.ssl.forEach((termination, i) => {
    frontends.push(
      sslFrontendOf(
        termination,
        `ssl[${i}]`,
        byLabel,
        layer7Index,
        certificates,
        fields,
        `frontends[${frontends.length}]`,
      ),
    );
  });
  const model: HaproxyConfig = {
    global: {
      adminSocket: { path: options.adminSocket },
      log: options.log ?? [],
      serverStateFile: options.serverStateFile,
    },
    frontends,
    backends,
  };
  return { model, servers, notes, fields };
}

/** The certificate files the SSL terminations use, with their configuration field. */
export function certificateFiles(config: ApplianceConfig): { file: string; field: string }[] {
  const used = new Set(config.ssl.map((t) => t.certificate));
  return config.certificates.flatMap((c, i) =>
    used.has(c.label) ? [{ file: c.file, field: `certificates[${i}].file` }] : [],
  );
}
