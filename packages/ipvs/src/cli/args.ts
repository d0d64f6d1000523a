import { IpvsError } from '../errors.js';
import { familyOf } from '../inet.js';
import type {
  DestinationSpec,
  Protocol,
  Scheduler,
  ServiceKey,
  ServiceSpec,
  SyncDaemon,
  Timeouts,
  TunnelSpec,
} from '../types.js';

export type ListView = 'default' | 'stats' | 'rate' | 'thresholds' | 'persistent-conn';

/** One ipvsadm-style command line, parsed. */
export type Command =
  | { kind: 'add-service' | 'edit-service'; service: ServiceSpec }
  | { kind: 'delete-service'; service: ServiceKey }
  | { kind: 'add-server' | 'edit-server'; service: ServiceKey; destination: DestinationSpec }
  | { kind: 'delete-server'; service: ServiceKey; destination: { address: string; port: number } }
  | { kind: 'clear' }
  | { kind: 'zero'; service?: ServiceKey }
  | { kind: 'list'; service?: ServiceKey; view: ListView }
  | { kind: 'connections' }
  | { kind: 'timeouts' }
  | { kind: 'daemons' }
  | { kind: 'save' }
  | { kind: 'restore' }
  | { kind: 'set'; timeouts: Timeouts }
  | { kind: 'start-daemon'; daemon: SyncDaemon }
  | { kind: 'stop-daemon'; state: SyncDaemon['state'] }
  | { kind: 'help' };

export interface Parsed {
  command: Command;
  json: boolean;
  netns?: string;
}

const COMMANDS: Record<string, Command['kind'] | 'list-any'> = {
  '-A': 'add-service',
  '--add-service': 'add-service',
  '-E': 'edit-service',
  '--edit-service': 'edit-service',
  '-D': 'delete-service',
  '--delete-service': 'delete-service',
  '-C': 'clear',
  '--clear': 'clear',
  '-R': 'restore',
  '--restore': 'restore',
  '-S': 'save',
  '--save': 'save',
  '-a': 'add-server',
  '--add-server': 'add-server',
  '-e': 'edit-server',
  '--edit-server': 'edit-server',
  '-d': 'delete-server',
  '--delete-server': 'delete-server',
  '-L': 'list-any',
  '-l': 'list-any',
  '--list': 'list-any',
  '-Z': 'zero',
  '--zero': 'zero',
  '--set': 'set',
  '--start-daemon': 'start-daemon',
  '--stop-daemon': 'stop-daemon',
  '-h': 'help',
  '--help': 'help',
};

/** Options that take a value (the rest are flags). `-p` takes one only if it is a number. */
const WITH_VALUE = new Set([
  '-t',
  '--tcp-service',
  '-u',
  '--udp-service',
  '--sctp-service',
  '-f',
  '--fwmark-service',
  '-s',
  '--scheduler',
  '-M',
  '--netmask',
  '-b',
  '--sched-flags',
  '--pe',
  '-r',
  '--real-server',
  '-w',
  '--weight',
  '-x',
  '--u-threshold',
  '-y',
  '--l-threshold',
  '--tun-type',
  '--tun-port',
  '--mcast-interface',
  '--syncid',
  '--sync-maxlen',
  '--mcast-group',
  '--mcast-port',
  '--mcast-ttl',
  '--netns',
]);

/** Short options that take no value, so they may be bundled. */
const BUNDLABLE = new Set([
  'A',
  'E',
  'D',
  'C',
  'R',
  'S',
  'a',
  'e',
  'd',
  'L',
  'l',
  'Z',
  'n',
  'c',
  'g',
  'i',
  'm',
  'o',
  '6',
  'h',
]);

/**
 * ipvsadm reads -x and -y as ints ("illegal u_threshold specified" above INT_MAX, exit 2),
 * though the kernel would store any u32: a line ipvsadm refuses is refused here too, so a
 * file restores (and imports) the same with both.
 */
const IPVSADM_THRESHOLD_MAX = 0x7fffffff;

const usage = (message: string, field?: string) => new IpvsError('IPVS_INVALID_FIELD', message, field ? { field } : {});

function parseEndpoint(
  text: string,
  option: string,
  portRequired: boolean,
): { address: string; port: number | undefined } {
  let address = text;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) {
    address = v6[1] ?? '';
    port = v6[2];
  } else if (text.split(':').length === 2) {
    [address = '', port] = text.split(':');
  }
  if (!familyOf(address)) throw usage(`${option} ${text}: not a numeric IPv4 address or [IPv6] address`, option);
  if (port === undefined && portRequired) throw usage(`${option} ${text}: a port is required`, option);
  if (port !== undefined && !/^\d{1,5}$/.test(port)) throw usage(`${option} ${text}: bad port`, option);
  return { address, port: port === undefined ? undefined : Number(port) };
}

function integer(value: string, option: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw usage(`${option} ${value}: must be a whole number from ${min} to ${max}`, option);
  }
  return Number(value);
}

function netmaskPrefix(value: string, family: 4 | 6): number {
  if (/^\d+$/.test(value)) return integer(value, '--netmask', 0, family === 4 ? 32 : 128);
  const parts = value.split('.').map(Number);
  const bits = parts.reduce((acc, p) => acc * 256 + p, 0);
  const prefix = 32 - Math.log2(2 ** 32 - bits);
  if (family !== 4 || parts.length !== 4 || !Number.isInteger(prefix))
    throw usage(`--netmask ${value}: not a netmask`, '--netmask');
  return prefix;
}

/** Splits a restore-file line into words (ipvsadm -S output has no quoting). */
export function words(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean);
}

/** Parses ipvsadm-style arguments (a subset of ipvsadm 1.31: numeric addresses only). */
export function parseArgs(input: readonly string[]): Parsed {
  // Short options bundle as with getopt: -Ln, -Lnc, -Sn.
  const argv = input.flatMap((a) =>
    /^-[A-Za-z]{2,}$/.test(a) && [...a.slice(1)].every((c) => BUNDLABLE.has(c))
      ? [...a.slice(1)].map((c) => `-${c}`)
      : [a],
  );
  const opts = new Map<string, string>();
  const flags = new Set<string>();
  let kind: Command['kind'] | 'list-any' | undefined;
  let listView: ListView = 'default';
  let listKind: 'list' | 'connections' | 'timeouts' | 'daemons' = 'list';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const command = COMMANDS[name];
    if (command) {
      if (kind && kind !== command) throw usage(`${name}: only one command at a time`);
      kind = command;
      if ((command === 'set' || command === 'start-daemon' || command === 'stop-daemon') && inline === undefined) {
        const count = command === 'set' ? 3 : 1;
        const values = argv.slice(i + 1, i + 1 + count);
        if (values.length < count) throw usage(`${name} needs ${count} value${count > 1 ? 's' : ''}`, name);
        opts.set(name, values.join(' '));
        i += count;
      }
      continue;
    }
    if (name === '-p' || name === '--persistent') {
      const next = inline ?? argv[i + 1];
      if (next !== undefined && /^\d+$/.test(next)) {
        opts.set('-p', next);
        if (inline === undefined) i++;
      } else {
        opts.set('-p', '300');
      }
      continue;
    }
    if (WITH_VALUE.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw usage(`${name} needs a value`, name);
      opts.set(name, value);
      continue;
    }
    switch (name) {
      case '-c':
      case '--connection':
        listKind = 'connections';
        break;
      case '--timeout':
        listKind = 'timeouts';
        break;
      case '--daemon':
        listKind = 'daemons';
        break;
      case '--stats':
        listView = 'stats';
        break;
      case '--rate':
        listView = 'rate';
        break;
      case '--thresholds':
        listView = 'thresholds';
        break;
      case '--persistent-conn':
        listView = 'persistent-conn';
        break;
      case '-n':
      case '--numeric':
      case '--exact':
      case '-g':
      case '--gatewaying':
      case '-i':
      case '--ipip':
      case '-m':
      case '--masquerading':
      case '-o':
      case '--ops':
      case '-6':
      case '--json':
      case '--tun-nocsum':
      case '--tun-csum':
      case '--tun-remcsum':
        flags.add(name);
        break;
      default:
        throw usage(`unknown option ${name}`, name);
    }
  }
  const json = flags.has('--json');
  const netns = opts.get('--netns');
  const out = (command: Command): Parsed => ({ command, json, ...(netns ? { netns } : {}) });
  if (!kind || kind === 'help') return out({ kind: 'help' });
  const get = (...names: string[]) => names.map((n) => opts.get(n)).find((v) => v !== undefined);
  const service = (): ServiceKey | undefined => {
    const mark = get('-f', '--fwmark-service');
    if (mark !== undefined)
      return { fwmark: integer(mark, '--fwmark-service', 1, 0xffffffff), family: flags.has('-6') ? 6 : 4 };
    for (const [names, protocol] of [
      [['-t', '--tcp-service'], 'tcp'],
      [['-u', '--udp-service'], 'udp'],
      [['--sctp-service'], 'sctp'],
    ] as const) {
      const text = get(...names);
      if (text !== undefined) {
        const { address, port } = parseEndpoint(text, names[names.length - 1] as string, true);
        return { protocol: protocol as Protocol, address, port: port as number };
      }
    }
    return undefined;
  };
  const requireService = () => {
    const s = service();
    if (!s) throw usage('a service is required: -t|-u|--sctp-service ADDRESS:PORT or -f MARK', 'service');
    return s;
  };

  switch (kind) {
    case 'list-any':
      if (listKind !== 'list') return out({ kind: listKind });
      return out({ kind: 'list', view: listView, ...(service() ? { service: service() as ServiceKey } : {}) });
    case 'clear':
    case 'save':
    case 'restore':
      return out({ kind });
    case 'zero': {
      const s = service();
      return out({ kind: 'zero', ...(s ? { service: s } : {}) });
    }
    case 'delete-service':
      return out({ kind, service: requireService() });
    case 'add-service':
    case 'edit-service': {
      const key = requireService();
      const family = key.fwmark !== undefined ? key.family : (familyOf(key.address) as 4 | 6);
      const spec: ServiceSpec = { ...key, scheduler: (get('-s', '--scheduler') ?? 'wlc') as Scheduler };
      const timeout = opts.get('-p');
      if (timeout !== undefined) {
        const mask = get('-M', '--netmask');
        spec.persistence = {
          timeout: integer(timeout, '--persistent', 1, 0xffffffff),
          ...(mask ? { netmask: netmaskPrefix(mask, family) } : {}),
        };
      }
      if (flags.has('-o') || flags.has('--ops')) spec.onePacket = true;
      const pe = get('--pe');
      if (pe) spec.persistenceEngine = pe;
      const sched = get('-b', '--sched-flags');
      if (sched) {
        spec.schedulerFlags = {};
        for (const f of sched.split(',')) {
          const [, what] = /^(?:sh|mh)-(fallback|port)$/.exec(f) ?? /^flag-(1|2|3)$/.exec(f) ?? [];
          if (what === 'fallback' || what === '1') spec.schedulerFlags.fallback = true;
          else if (what === 'port' || what === '2') spec.schedulerFlags.port = true;
          else if (what === '3') spec.schedulerFlags.flag3 = true;
          else
            throw usage(
              `--sched-flags ${f}: one of sh-fallback, sh-port, mh-fallback, mh-port, flag-1..3`,
              '--sched-flags',
            );
        }
      }
      return out({ kind, service: spec });
    }
    case 'add-server':
    case 'edit-server':
    case 'delete-server': {
      const svc = requireService();
      const real = get('-r', '--real-server');
      if (!real) throw usage('a real server is required: -r ADDRESS[:PORT]', '--real-server');
      const endpoint = parseEndpoint(real, '--real-server', false);
      const port = endpoint.port ?? (svc.fwmark === undefined ? svc.port : 0);
      if (kind === 'delete-server')
        return out({ kind, service: svc, destination: { address: endpoint.address, port } });
      const forwarding =
        flags.has('-m') || flags.has('--masquerading') ? 'nat' : flags.has('-i') || flags.has('--ipip') ? 'tun' : 'dr';
      const dest: DestinationSpec = { address: endpoint.address, port, forwarding };
      const weight = get('-w', '--weight');
      dest.weight = weight === undefined ? 1 : integer(weight, '--weight', 0, 65535);
      const upper = get('-x', '--u-threshold');
      if (upper !== undefined) dest.upperThreshold = integer(upper, '--u-threshold', 0, IPVSADM_THRESHOLD_MAX);
      const lower = get('-y', '--l-threshold');
      if (lower !== undefined) dest.lowerThreshold = integer(lower, '--l-threshold', 0, IPVSADM_THRESHOLD_MAX);
      const tunType = get('--tun-type');
      if (tunType !== undefined) {
        if (tunType !== 'ipip' && tunType !== 'gue' && tunType !== 'gre')
          throw usage('--tun-type: ipip, gue or gre', '--tun-type');
        const tunnel: TunnelSpec = { type: tunType };
        const tunPort = get('--tun-port');
        if (tunPort !== undefined) tunnel.port = integer(tunPort, '--tun-port', 1, 65535);
        if (flags.has('--tun-remcsum')) tunnel.checksum = 'remcsum';
        else if (flags.has('--tun-csum')) tunnel.checksum = 'csum';
        else if (flags.has('--tun-nocsum')) tunnel.checksum = 'none';
        dest.tunnel = tunnel;
      }
      return out({ kind, service: svc, destination: dest });
    }
    case 'set': {
      const [tcp = '', tcpFin = '', udp = ''] = (opts.get('--set') ?? '').split(' ');
      return out({
        kind: 'set',
        timeouts: {
          tcp: integer(tcp, '--set', 0, 0x7fffffff),
          tcpFin: integer(tcpFin, '--set', 0, 0x7fffffff),
          udp: integer(udp, '--set', 0, 0x7fffffff),
        },
      });
    }
    case 'start-daemon':
    case 'stop-daemon': {
      const state = opts.get(`--${kind}`);
      if (state !== 'master' && state !== 'backup') throw usage(`--${kind}: master or backup`, `--${kind}`);
      if (kind === 'stop-daemon') return out({ kind, state });
      const daemon: SyncDaemon = {
        state,
        interface: get('--mcast-interface') ?? 'eth0',
        syncId: integer(get('--syncid') ?? '0', '--syncid', 0, 255),
      };
      const maxLength = get('--sync-maxlen');
      if (maxLength) daemon.maxLength = integer(maxLength, '--sync-maxlen', 1, 65535);
      const group = get('--mcast-group');
      if (group) daemon.group = group;
      const mport = get('--mcast-port');
      if (mport) daemon.port = integer(mport, '--mcast-port', 1, 65535);
      const ttl = get('--mcast-ttl');
      if (ttl) daemon.ttl = integer(ttl, '--mcast-ttl', 1, 255);
      return out({ kind, daemon });
    }
  }
  return out({ kind: 'help' });
}
