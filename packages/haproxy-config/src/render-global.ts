import type { DefaultsSection, GlobalSection, Timeouts } from './model.js';
import { duration, integer, name, oneOf, address as parseAddress, path, port, text } from './strings.js';
import { TLS_POLICIES, tlsOptionWords } from './tls.js';

export const DEFAULT_ADMIN_SOCKET = '/run/haproxy/admin.sock';

const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'auth2',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'cron2',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;
const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** Production defaults, in milliseconds: what an HAProxy operator would write by hand. */
export const DEFAULT_TIMEOUTS: Required<Timeouts> = {
  connect: 5_000,
  client: 50_000,
  server: 50_000,
  httpRequest: 10_000,
  httpKeepAlive: 10_000,
  queue: 30_000,
  check: 5_000,
  tunnel: 3_600_000,
  clientFin: 30_000,
  serverFin: 30_000,
};

const TIMEOUT_KEYWORDS: Record<keyof Timeouts, string> = {
  connect: 'connect',
  client: 'client',
  server: 'server',
  httpRequest: 'http-request',
  httpKeepAlive: 'http-keep-alive',
  queue: 'queue',
  check: 'check',
  tunnel: 'tunnel',
  clientFin: 'client-fin',
  serverFin: 'server-fin',
};

/** `timeout` lines in a fixed order, for the keys present. */
export function timeoutLines(timeouts: Timeouts | undefined, field: string): string[] {
  if (!timeouts) return [];
  const lines: string[] = [];
  for (const key of Object.keys(TIMEOUT_KEYWORDS) as (keyof Timeouts)[]) {
    const value = timeouts[key];
    if (value !== undefined) lines.push(`timeout ${TIMEOUT_KEYWORDS[key]} ${duration(value, `${field}.${key}`)}`);
  }
  return lines;
}

export function renderGlobal(global: GlobalSection = {}): string[] {
  const f = 'global';
  const lines: string[] = [];
  if (global.masterWorker ?? true) lines.push('master-worker');
  const logs = global.log ?? [{ address: '/dev/log', facility: 'local0' }];
  logs.forEach((log, i) => {
    const field = `${f}.log[${i}]`;
    let target: string;
    if (typeof log.address === 'string' && log.address.startsWith('/')) {
      target = path(log.address, `${field}.address`);
    } else {
      const { address: a, family } = parseAddress(log.address, `${field}.address`);
      const p = port(log.port ?? 514, `${field}.port`);
      target = family === 6 ? `[${a}]:${p}` : `${a}:${p}`;
    }
    const facility = oneOf(log.facility ?? 'local0', FACILITIES, `${field}.facility`);
    const level = log.level === undefined ? '' : ` ${oneOf(log.level, LEVELS, `${field}.level`)}`;
    lines.push(`log ${target} ${facility}${level}`);
  });
  if (global.adminSocket !== false) {
    const socket = global.adminSocket ?? { path: DEFAULT_ADMIN_SOCKET };
    const field = `${f}.adminSocket`;
    const mode = integer(socket.mode ?? 0o600, `${field}.mode`, 0, 0o777).toString(8);
    const level = oneOf(socket.level ?? 'admin', ['user', 'operator', 'admin'], `${field}.level`);
    const expose = (socket.exposeFdListeners ?? true) ? ' expose-fd listeners' : '';
    lines.push(`stats socket ${path(socket.path, `${field}.path`)} mode ${mode} level ${level}${expose}`);
    lines.push(`stats timeout ${duration(global.statsTimeoutMs ?? 30_000, `${f}.statsTimeoutMs`)}`);
  }
  if (global.maxconn !== undefined) lines.push(`maxconn ${integer(global.maxconn, `${f}.maxconn`, 1, 10_000_000)}`);
  if (global.nbthread !== undefined) lines.push(`nbthread ${integer(global.nbthread, `${f}.nbthread`, 1, 4096)}`);
  if (global.user !== undefined) lines.push(`user ${name(global.user, `${f}.user`)}`);
  if (global.group !== undefined) lines.push(`group ${name(global.group, `${f}.group`)}`);
  if (global.chroot !== undefined) lines.push(`chroot ${path(global.chroot, `${f}.chroot`)}`);
  if (global.serverStateFile !== undefined) {
    lines.push(`server-state-file ${path(global.serverStateFile, `${f}.serverStateFile`)}`);
  }
  const policy =
    TLS_POLICIES[oneOf(global.tlsPolicy ?? 'intermediate', ['modern', 'intermediate', 'legacy'], `${f}.tlsPolicy`)];
  if (policy.ciphers !== undefined) lines.push(`ssl-default-bind-ciphers ${policy.ciphers}`);
  lines.push(`ssl-default-bind-ciphersuites ${policy.ciphersuites}`);
  lines.push(`ssl-default-bind-options ${tlsOptionWords(policy).join(' ')}`);
  lines.push(`tune.ssl.default-dh-param ${integer(global.sslDhParamBits ?? 2048, `${f}.sslDhParamBits`, 1024, 8192)}`);
  return lines;
}

export function renderDefaults(defaults: DefaultsSection = {}, global: GlobalSection = {}): string[] {
  const f = 'defaults';
  const lines = [`mode ${oneOf(defaults.mode ?? 'http', ['http', 'tcp'], `${f}.mode`)}`, 'log global'];
  if (defaults.dontLogNull ?? true) lines.push('option dontlognull');
  if (defaults.redispatch ?? true) lines.push('option redispatch');
  lines.push(`retries ${integer(defaults.retries ?? 3, `${f}.retries`, 0, 100)}`);
  if (defaults.maxconn !== undefined) lines.push(`maxconn ${integer(defaults.maxconn, `${f}.maxconn`, 1, 10_000_000)}`);
  lines.push(...timeoutLines({ ...DEFAULT_TIMEOUTS, ...defaults.timeouts }, `${f}.timeouts`));
  if (global.serverStateFile !== undefined) lines.push('load-server-state-from-file global');
  return lines;
}

/** A comment line's text, checked (no newline can end the comment early). */
export function comment(value: unknown, field: string): string {
  return `# ${text(value, field, { max: 200 })}`;
}
