import { HaproxyConfigError } from './errors.js';

export type AdminState = 'ready' | 'drain' | 'maint';

export interface ProcessInfo {
  name: string;
  version: string;
  pid: number;
  uptimeSeconds: number;
  currentConnections: number;
  maxConnections: number;
  /** Every field of `show info`, as HAProxy printed it. */
  raw: Record<string, string>;
}

export interface StatRow {
  proxy: string;
  /** `FRONTEND`, `BACKEND`, or the server's (or listener's) name. */
  name: string;
  type: 'frontend' | 'backend' | 'server' | 'listener';
  /** `UP`, `DOWN`, `MAINT`, `DRAIN`, `OPEN`, `no check`, ... */
  status: string;
  weight: number | undefined;
  currentSessions: number;
  maxSessions: number;
  totalSessions: number;
  bytesIn: number;
  bytesOut: number;
  /** Every column, by HAProxy's header name. */
  raw: Record<string, string>;
}

export interface ServerState {
  backendId: number;
  backend: string;
  serverId: number;
  server: string;
  address: string;
  port: number | undefined;
  /** 0 stopped, 1 starting, 2 running, 3 stopping. */
  operationalState: number;
  /** The admin state bits folded to what an operator set. */
  adminState: AdminState;
  adminStateBits: number;
  userWeight: number;
  initialWeight: number;
  raw: Record<string, string>;
}

export interface SessionSummary {
  /** Client sessions (the CLI's own sessions are left out). */
  total: number;
  byFrontend: Record<string, number>;
  byBackend: Record<string, number>;
  /** Keyed `backend/server`. */
  byServer: Record<string, number>;
}

export interface ProcEntry {
  pid: number;
  role: 'master' | 'worker';
  /** Reloads this process has lived through (`0` for the newest worker). */
  reloads: number;
  uptime: string;
  version: string;
  /** true for a worker of an older generation still finishing its sessions. */
  old: boolean;
}

function unexpected(what: string, text: string): HaproxyConfigError {
  return new HaproxyConfigError(
    'HAPROXY_UNEXPECTED_RESPONSE',
    `${what}: unexpected answer ${JSON.stringify(text.slice(0, 200))}`,
  );
}

const num = (value: string | undefined) => (value === undefined || value === '' ? 0 : Number(value));

export function parseInfo(text: string): ProcessInfo {
  const raw: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) raw[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  if (raw.Version === undefined || raw.Pid === undefined) throw unexpected('show info', text);
  return {
    name: raw.Name ?? '',
    version: raw.Version,
    pid: num(raw.Pid),
    uptimeSeconds: num(raw.Uptime_sec),
    currentConnections: num(raw.CurrConns),
    maxConnections: num(raw.Maxconn),
    raw,
  };
}

const STAT_TYPES = ['frontend', 'backend', 'server', 'listener'] as const;

export function parseStat(text: string): StatRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift();
  if (!header?.startsWith('# ')) throw unexpected('show stat', text);
  const columns = header.slice(2).split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const raw: Record<string, string> = {};
    columns.forEach((c, i) => {
      if (c !== '') raw[c] = cells[i] ?? '';
    });
    const weight = raw.weight === undefined || raw.weight === '' ? undefined : Number(raw.weight);
    return {
      proxy: raw.pxname ?? '',
      name: raw.svname ?? '',
      type: STAT_TYPES[num(raw.type)] ?? 'server',
      status: raw.status ?? '',
      weight,
      currentSessions: num(raw.scur),
      maxSessions: num(raw.smax),
      totalSessions: num(raw.stot),
      bytesIn: num(raw.bin),
      bytesOut: num(raw.bout),
      raw,
    };
  });
}

// SRV_ADMF_* in HAProxy: forced/inherited/config/resolver/health maintenance, forced/inherited drain.
const MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
const DRAIN_BITS = 0x08 | 0x10;

export function adminStateOf(bits: number): AdminState {
  if (bits & MAINT_BITS) return 'maint';
  if (bits & DRAIN_BITS) return 'drain';
  return 'ready';
}

export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== '1') throw unexpected('show servers state', text);
  const header = lines[1];
  if (!header?.startsWith('# ')) throw unexpected('show servers state', text);
  const columns = header.slice(2).trim().split(/\s+/);
  return lines.slice(2).map((line) => {
    const cells = line.trim().split(/\s+/);
    const raw: Record<string, string> = {};
    columns.forEach((c, i) => {
      raw[c] = cells[i] ?? '';
    });
    const bits = num(raw.srv_admin_state);
    const port = raw.srv_port === undefined || raw.srv_port === '0' ? undefined : Number(raw.srv_port);
    return {
      backendId: num(raw.be_id),
      backend: raw.be_name ?? '',
      serverId: num(raw.srv_id),
      server: raw.srv_name ?? '',
      address: raw.srv_addr ?? '',
      port,
      operationalState: num(raw.srv_op_state),
      adminState: adminStateOf(bits),
      adminStateBits: bits,
      userWeight: num(raw.srv_uweight),
      initialWeight: num(raw.srv_iweight),
      raw,
    };
  });
}

export function parseSessions(text: string): SessionSummary {
  const summary: SessionSummary = { total: 0, byFrontend: {}, byBackend: {}, byServer: {} };
  const bump = (map: Record<string, number>, key: string) => {
    map[key] = (map[key] ?? 0) + 1;
  };
  for (const line of text.split('\n')) {
    if (!/^0x[0-9a-f]+:/.test(line)) continue;
    const field = (key: string) => new RegExp(`\\b${key}=(\\S+)`).exec(line)?.[1];
    const fe = field('fe');
    // The CLI's own connection is a session of the GLOBAL proxy.
    if (fe === undefined || fe === 'GLOBAL') continue;
    summary.total++;
    bump(summary.byFrontend, fe);
    const be = field('be');
    if (be !== undefined && be !== '<NONE>') {
      bump(summary.byBackend, be);
      const srv = field('srv');
      if (srv !== undefined && srv !== '<none>') bump(summary.byServer, `${be}/${srv}`);
    }
  }
  return summary;
}

// #<PID>          <type>          <reloads>       <uptime>        <version>
// 1234            master          0 [failed: 0]   0d00h00m05s     2.6.12
export function parseProc(text: string): ProcEntry[] {
  const entries: ProcEntry[] = [];
  let old = false;
  for (const line of text.split('\n')) {
    if (/^# old workers/.test(line)) old = true;
    const match = /^(\d+)\s+(master|worker)\s+(\d+)(?:\s+\[failed:\s*\d+\])?\s+(\S+)\s+(\S+)/.exec(line);
    if (!match) continue;
    entries.push({
      pid: Number(match[1]),
      role: match[2] as 'master' | 'worker',
      reloads: Number(match[3]),
      uptime: match[4] as string,
      version: match[5] as string,
      old: old && match[2] === 'worker',
    });
  }
  if (!entries.some((e) => e.role === 'master')) throw unexpected('show proc', text);
  return entries;
}
