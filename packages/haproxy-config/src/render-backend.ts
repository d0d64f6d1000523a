import { requireMode } from './check-model.js';
import { HaproxyConfigError, invalidField } from './errors.js';
import type { Backend, Balance, HealthCheck, Persistence, ProxyMode, Server } from './model.js';
import { alpnList } from './render-frontend.js';
import { comment, timeoutLines } from './render-global.js';
import { forwardForLine, headerLines } from './render-headers.js';
import {
  address,
  cookieName,
  duration,
  headerName,
  hostPort,
  integer,
  list,
  name,
  oneOf,
  path,
  port,
  quote,
  text,
} from './strings.js';

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/;
const METHOD = /^[A-Z]{1,20}$/;
const ALGORITHMS = ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'hdr', 'rdp-cookie'] as const;
/** The algorithms that hash a key, where `hash-type` means something. */
const HASHED: readonly string[] = ['source', 'uri', 'hdr', 'rdp-cookie'];
/** HAProxy's server ids are positive 32-bit integers. */
const MAX_SERVER_ID = 2_147_483_647;

function hostname(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HOSTNAME.test(value))
    throw invalidField(field, `${JSON.stringify(value)} is not a host name`);
  return value;
}

function seconds(value: number | undefined, fallback: number, field: string): string {
  return duration(integer(value ?? fallback, field, 1, 2_000_000) * 1000, field);
}

function size(value: number | undefined, fallback: number, field: string): number {
  return integer(value ?? fallback, field, 1, 100_000_000);
}

/** Lines that make the backend wait for the first bytes of a TCP stream, shared by RDP and TLS rules. */
class Inspect {
  private readonly lines = new Set<string>();
  add(...lines: string[]): string[] {
    const fresh = lines.filter((l) => !this.lines.has(l));
    for (const l of fresh) this.lines.add(l);
    return fresh;
  }
}

function balanceLines(balance: Balance | undefined, mode: ProxyMode, inspect: Inspect, field: string): string[] {
  if (!balance) return [];
  const algorithm = oneOf(balance.algorithm, ALGORITHMS, `${field}.algorithm`);
  const lines = algorithmLines(balance, algorithm, mode, inspect, field);
  if (balance.hashType !== undefined) {
    const hashType = oneOf(balance.hashType, ['map-based', 'consistent'], `${field}.hashType`);
    if (!HASHED.includes(algorithm)) {
      throw invalidField(
        `${field}.hashType`,
        `balance ${algorithm} hashes nothing (hash-type needs ${HASHED.join(', ')})`,
      );
    }
    lines.push(`hash-type ${hashType}`);
  }
  return lines;
}

function algorithmLines(
  balance: Balance,
  algorithm: (typeof ALGORITHMS)[number],
  mode: ProxyMode,
  inspect: Inspect,
  field: string,
): string[] {
  switch (algorithm) {
    case 'uri':
      requireMode(mode, 'http', `${field}.algorithm`, 'balance uri');
      return ['balance uri'];
    case 'hdr':
      requireMode(mode, 'http', `${field}.algorithm`, 'balance hdr');
      if (balance.header === undefined) throw invalidField(`${field}.header`, 'balance hdr needs a header');
      return [`balance hdr(${headerName(balance.header, `${field}.header`)})`];
    case 'rdp-cookie':
      requireMode(mode, 'tcp', `${field}.algorithm`, 'balance rdp-cookie');
      return [
        ...inspect.add('tcp-request inspect-delay 5s', 'tcp-request content accept if RDP_COOKIE'),
        `balance rdp-cookie(${cookieName(balance.cookie ?? 'mstshash', `${field}.cookie`)})`,
      ];
    default:
      return [`balance ${algorithm}`];
  }
}

function persistenceLines(
  persistence: Persistence | undefined,
  mode: ProxyMode,
  inspect: Inspect,
  ipv6Clients: boolean,
  f: string,
): string[] {
  if (!persistence) return [];
  const type = oneOf(
    persistence.type,
    ['none', 'cookie-insert', 'cookie-prefix', 'cookie-rewrite', 'source', 'rdp-cookie', 'ssl-session-id'],
    `${f}.type`,
  );
  const http = () => requireMode(mode, 'http', `${f}.type`, `${type} persistence`);
  const tcp = () => requireMode(mode, 'tcp', `${f}.type`, `${type} persistence`);
  switch (persistence.type) {
    case 'none':
      return [];
    case 'cookie-insert': {
      http();
      const words = [`cookie ${cookieName(persistence.cookie, `${f}.cookie`)} insert`];
      if (persistence.indirect ?? true) words.push('indirect');
      if (persistence.nocache ?? true) words.push('nocache');
      if (persistence.httpOnly) words.push('httponly');
      if (persistence.secure) words.push('secure');
      if (persistence.maxIdle !== undefined) words.push(`maxidle ${seconds(persistence.maxIdle, 0, `${f}.maxIdle`)}`);
      if (persistence.maxLife !== undefined) words.push(`maxlife ${seconds(persistence.maxLife, 0, `${f}.maxLife`)}`);
      return [words.join(' ')];
    }
    case 'cookie-prefix':
      http();
      return [`cookie ${cookieName(persistence.cookie, `${f}.cookie`)} prefix nocache`];
    case 'cookie-rewrite':
      http();
      return [`cookie ${cookieName(persistence.cookie, `${f}.cookie`)} rewrite nocache`];
    case 'source': {
      // The table's type follows the clients that can arrive: an `ip` table would drop
      // every IPv6 client's entry, so persistence would silently not happen for them.
      const family = oneOf(persistence.family ?? (ipv6Clients ? 'ipv6' : 'ipv4'), ['ipv4', 'ipv6'], `${f}.family`);
      if (family === 'ipv4' && ipv6Clients) {
        throw new HaproxyConfigError(
          'HAPROXY_INCOMPATIBLE',
          `${f}.family: ipv4 cannot hold the IPv6 clients of a listener that reaches this backend`,
          { field: `${f}.family` },
        );
      }
      return [
        `stick-table type ${family === 'ipv4' ? 'ip' : 'ipv6'} size ${size(persistence.size, 200_000, `${f}.size`)} expire ${seconds(persistence.expireSeconds, 1800, `${f}.expireSeconds`)}`,
        'stick on src',
      ];
    }
    case 'rdp-cookie':
      tcp();
      return [
        ...inspect.add('tcp-request inspect-delay 5s', 'tcp-request content accept if RDP_COOKIE'),
        `stick-table type string len 64 size ${size(persistence.size, 100_000, `${f}.size`)} expire ${seconds(persistence.expireSeconds, 28_800, `${f}.expireSeconds`)}`,
        'stick on req.rdp_cookie(mstshash)',
      ];
    case 'ssl-session-id':
      tcp();
      // The session id sits in the hellos: length byte at offset 43, value from 44. The
      // client offers it on resumption, the server's hello confirms or assigns it.
      return [
        ...inspect.add('tcp-request inspect-delay 5s', 'tcp-request content accept if { req.ssl_hello_type 1 }'),
        'tcp-response content accept if { res.ssl_hello_type 2 }',
        `stick-table type binary len 32 size ${size(persistence.size, 100_000, `${f}.size`)} expire ${seconds(persistence.expireSeconds, 1800, `${f}.expireSeconds`)}`,
        'stick on req.payload_lv(43,1) if { req.ssl_hello_type 1 }',
        'stick store-response res.payload_lv(43,1) if { res.ssl_hello_type 2 }',
      ];
  }
}

function healthLines(check: HealthCheck | undefined, field: string): string[] {
  const c = check ?? {};
  const lines: string[] = [];
  const type = oneOf(c.type ?? 'tcp', ['tcp', 'http'], `${field}.type`);
  if (type === 'http') {
    // HAProxy runs HTTP checks against tcp-mode backends too (an HTTPS or RDP gateway's web port).
    lines.push('option httpchk');
    const method = c.method ?? 'GET';
    if (!METHOD.test(method)) throw invalidField(`${field}.method`, `${JSON.stringify(method)} is not a method`);
    const uri = text(c.path ?? '/', `${field}.path`);
    // A request target is printable ASCII without space (RFC 9112); anything else is percent-encoded.
    if (!/^\/[!-~]*$/.test(uri)) throw invalidField(`${field}.path`, `${JSON.stringify(uri)} is not a request path`);
    let send = `http-check send meth ${method} uri ${quote(uri, `${field}.path`)}`;
    if (c.host !== undefined) send += ` hdr Host ${hostname(c.host, `${field}.host`)}`;
    lines.push(send);
    lines.push(
      c.expectStatus === undefined
        ? 'http-check expect status 200-399'
        : `http-check expect status ${integer(c.expectStatus, `${field}.expectStatus`, 100, 599)}`,
    );
  }
  const inter = duration(c.intervalMs ?? 2000, `${field}.intervalMs`);
  lines.push(
    `default-server inter ${inter} rise ${integer(c.rise ?? 2, `${field}.rise`, 1, 100)} fall ${integer(c.fall ?? 3, `${field}.fall`, 1, 100)}`,
  );
  return lines;
}

function serverLine(server: Server, backend: Backend, field: string): string {
  const words = [`server ${name(server.name, `${field}.name`)}`];
  words.push(hostPort(server.address, server.port, `${field}.address`, `${field}.port`));
  if (server.id !== undefined) words.push(`id ${integer(server.id, `${field}.id`, 1, MAX_SERVER_ID)}`);
  if (server.weight !== undefined) words.push(`weight ${integer(server.weight, `${field}.weight`, 0, 256)}`);
  if (server.maxconn !== undefined) words.push(`maxconn ${integer(server.maxconn, `${field}.maxconn`, 1, 10_000_000)}`);
  if (server.backup) words.push('backup');
  if (server.disabled) words.push('disabled');
  if (server.check ?? true) {
    // HAProxy refuses the file otherwise ("has neither service port nor check port").
    if (server.port === undefined && server.checkPort === undefined) {
      throw invalidField(
        `${field}.checkPort`,
        'a health check needs a port or a checkPort when the server has no port',
      );
    }
    words.push('check');
    if (server.checkPort !== undefined) words.push(`port ${port(server.checkPort, `${field}.checkPort`)}`);
    if (backend.healthCheck?.tls === true && server.tls === undefined) words.push('check-ssl', 'verify none');
  }
  if (server.agent) {
    const af = `${field}.agent`;
    words.push('agent-check', `agent-port ${port(server.agent.port, `${af}.port`)}`);
    words.push(`agent-inter ${duration(server.agent.intervalMs ?? 2000, `${af}.intervalMs`)}`);
    if (server.agent.send !== undefined) words.push(`agent-send ${quote(server.agent.send, `${af}.send`)}`);
  }
  if (server.sendProxy !== undefined) {
    words.push(oneOf(server.sendProxy, ['v1', 'v2'], `${field}.sendProxy`) === 'v1' ? 'send-proxy' : 'send-proxy-v2');
  }
  if (server.tls) {
    const tf = `${field}.tls`;
    const verify = oneOf(server.tls.verify ?? 'required', ['none', 'required'], `${tf}.verify`);
    words.push('ssl', `verify ${verify}`);
    if (verify === 'required') {
      if (server.tls.ca === undefined) throw invalidField(`${tf}.ca`, 'verify required needs a CA file');
      words.push(`ca-file ${path(server.tls.ca, `${tf}.ca`)}`);
    } else if (server.tls.ca !== undefined) {
      throw invalidField(`${tf}.ca`, 'a CA file is only used with verify required');
    }
    if (server.tls.verifyHost !== undefined)
      words.push(`verifyhost ${hostname(server.tls.verifyHost, `${tf}.verifyHost`)}`);
    if (server.tls.sni !== undefined) words.push(`sni str(${hostname(server.tls.sni, `${tf}.sni`)})`);
    if (server.tls.alpn !== undefined) words.push(`alpn ${alpnList(server.tls.alpn, `${tf}.alpn`)}`);
  }
  const p = backend.persistence?.type;
  if (p === 'cookie-insert' || p === 'cookie-prefix' || p === 'cookie-rewrite') {
    words.push(`cookie ${name(server.cookie ?? server.name, `${field}.cookie`)}`);
  } else if (server.cookie !== undefined) {
    throw invalidField(`${field}.cookie`, 'a cookie value needs cookie persistence on the backend');
  }
  if (backend.transparent) {
    words.push(
      `source ${address(server.address, `${field}.address`).family === 6 ? '[::]' : '0.0.0.0'} usesrc clientip`,
    );
  }
  if (server.comment !== undefined) words.push(comment(server.comment, `${field}.comment`));
  return words.join(' ');
}

/** `ipv6Clients`: a listener that can carry IPv6 client addresses reaches this backend. */
export function renderBackend(backend: Backend, index: number, defaultMode: ProxyMode, ipv6Clients = false): string[] {
  const f = `backends[${index}]`;
  const lines: string[] = [];
  if (backend.comment !== undefined) lines.push(comment(backend.comment, `${f}.comment`));
  const mode = oneOf(backend.mode ?? defaultMode, ['http', 'tcp'], `${f}.mode`);
  lines.push(`mode ${mode}`);
  const inspect = new Inspect();
  lines.push(...balanceLines(backend.balance, mode, inspect, `${f}.balance`));
  lines.push(...timeoutLines(backend.timeouts, `${f}.timeouts`));
  lines.push(...healthLines(backend.healthCheck, `${f}.healthCheck`));
  lines.push(...persistenceLines(backend.persistence, mode, inspect, ipv6Clients, `${f}.persistence`));
  if (backend.forwardFor !== undefined && backend.forwardFor !== false) {
    requireMode(mode, 'http', `${f}.forwardFor`, 'forwardFor');
  }
  lines.push(...forwardForLine(backend.forwardFor, `${f}.forwardFor`));
  if (backend.headers !== undefined && backend.headers.length > 0) requireMode(mode, 'http', `${f}.headers`, 'headers');
  lines.push(...headerLines(backend.headers, `${f}.headers`));
  const servers = list<Server>(backend.servers, `${f}.servers`);
  const ids = new Map<unknown, number>();
  servers.forEach((server, si) => {
    if (server?.id === undefined) return;
    const first = ids.get(server.id);
    if (first !== undefined) {
      throw new HaproxyConfigError(
        'HAPROXY_DUPLICATE_NAME',
        `${f}.servers[${si}].id: ${server.id} is already the id of ${f}.servers[${first}]`,
        { field: `${f}.servers[${si}].id` },
      );
    }
    ids.set(server.id, si);
  });
  servers.forEach((server, si) => {
    lines.push(serverLine(server, backend, `${f}.servers[${si}]`));
  });
  return lines;
}
