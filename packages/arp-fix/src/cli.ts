import { parseArgs } from 'node:util';
import { apply } from './apply.js';
import { detectStuck, parseIpvsConn, parseIpvsServices, type StuckGroup } from './conntable.js';
import { ArpFixError } from './errors.js';
import { formatReport } from './format.js';
import { inspect, type Method } from './inspect.js';
import { persist } from './persist.js';
import { type ProbeResult, probe } from './probe.js';
import { appendRecord, type ChangeRecord, loadRecords, storeRecords } from './record.js';
import { revert } from './revert.js';
import { type CommandRunner, LinuxSystem } from './system.js';
import type { VipSpec } from './validate.js';
import { windowsFix } from './windows.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Runs programs (tests pass a fake); default execFile. */
  runner?: CommandRunner;
}

export const USAGE = `usage: sluice-arp-fix <command> [options]

commands:
  inspect   --vip ADDR... [--port N...]            exit 1 when a VIP has a problem
  apply     --vip ADDR... [--method arp|redirect] [--ip-based-vhosts] [--netfilter nftables|iptables]
  persist   --vip ADDR... [--method arp|redirect] [--netfilter nftables|iptables]
  revert    [--force]                              undoes every recorded apply/persist, newest first
  windows   --vip ADDR... --loopback NAME --lan NAME [--port N...] [--format ps1|steps|json]
  probe     --vip ADDR --interface IF [--seconds N] [--known NAME=MAC...] [--real-server NAME...]
  probe     --syn-recv [--min-stuck N]             (on the director) SYN_RECV of DR real servers

common: --json (machine output), --root DIR (where /etc is), --netns NAME (run in a namespace)
`;

const OPTIONS = {
  vip: { type: 'string', multiple: true },
  port: { type: 'string', multiple: true },
  method: { type: 'string' },
  'ip-based-vhosts': { type: 'boolean' },
  netfilter: { type: 'string' },
  force: { type: 'boolean' },
  loopback: { type: 'string' },
  lan: { type: 'string' },
  format: { type: 'string' },
  interface: { type: 'string' },
  seconds: { type: 'string' },
  known: { type: 'string', multiple: true },
  'real-server': { type: 'string', multiple: true },
  'syn-recv': { type: 'boolean' },
  'min-stuck': { type: 'string' },
  json: { type: 'boolean' },
  root: { type: 'string' },
  netns: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(message: string, field: string): ArpFixError {
  return new ArpFixError('ARPFIX_INVALID_FIELD', message, { field });
}

function integer(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value)) throw usage(`--${field}: ${JSON.stringify(value)} is not a number`, field);
  return Number(value);
}

/** Runs the CLI; returns the exit status (0 fine, 1 a problem was found, 2 an error). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    json = values.json === true;
    const [command, ...extra] = positionals;
    if (values.help || command === undefined) {
      io.stdout(USAGE);
      return command === undefined && !values.help ? 2 : 0;
    }
    if (extra.length > 0) throw usage(`unexpected argument ${JSON.stringify(extra[0])}`, 'argv');
    const ports = (values.port ?? []).map((p, i) => integer(p, `port[${i}]`) ?? 0);
    const vips: VipSpec[] = (values.vip ?? []).map((address) => ({ address, ports }));
    const method = values.method as Method | undefined;
    const netfilter = values.netfilter;
    if (netfilter !== undefined && netfilter !== 'nftables' && netfilter !== 'iptables') {
      throw usage('--netfilter: nftables or iptables', 'netfilter');
    }
    const system = new LinuxSystem({
      ...(values.root === undefined ? {} : { root: values.root }),
      ...(values.netns === undefined ? {} : { netns: values.netns }),
      ...(io.runner === undefined ? {} : { runner: io.runner }),
    });
    const out = (value: unknown, human: string) => io.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : human);

    switch (command) {
      case 'inspect': {
        const report = await inspect(system, { vips });
        out(report, formatReport(report));
        return report.ok ? 0 : 1;
      }
      case 'apply':
      case 'persist': {
        let record: ChangeRecord;
        try {
          record =
            command === 'apply'
              ? await apply(system, {
                  vips,
                  ...(method === undefined ? {} : { method }),
                  ...(values['ip-based-vhosts'] ? { ipBasedVirtualHosting: true } : {}),
                  ...(netfilter === undefined ? {} : { netfilter }),
                })
              : await persist(system, {
                  vips,
                  ...(method === undefined ? {} : { method }),
                  ...(netfilter === undefined ? {} : { netfilter }),
                });
        } catch (error) {
          // A partial apply is still recorded, so `revert` can undo it.
          const partial = (error as { record?: ChangeRecord }).record;
          if (partial && partial.changes.length > 0) await appendRecord(system, partial);
          throw error;
        }
        if (record.changes.length > 0) await appendRecord(system, record);
        out(
          record,
          `${command}: ${record.changes.length} change(s)\n${record.changes.map((c) => `  ${describe(c)}\n`).join('')}`,
        );
        return 0;
      }
      case 'revert': {
        const records = await loadRecords(system);
        const done: ChangeRecord[] = [];
        while (records.length > 0) {
          const record = records[records.length - 1] as ChangeRecord;
          await revert(system, record, { force: values.force === true });
          records.pop();
          await storeRecords(system, records);
          done.push(record);
        }
        out(done, `revert: ${done.length} record(s) undone\n`);
        return 0;
      }
      case 'windows': {
        if (values.loopback === undefined) throw usage('--loopback NAME is required', 'loopbackAdapter');
        if (values.lan === undefined) throw usage('--lan NAME is required', 'lanAdapter');
        const fix = windowsFix({
          vips,
          loopbackAdapter: values.loopback,
          lanAdapter: values.lan,
          ...(ports.length > 0 ? { ports } : {}),
        });
        const format = json ? 'json' : (values.format ?? 'steps');
        if (format === 'ps1') io.stdout(`${fix.powershell}`);
        else if (format === 'json') io.stdout(`${JSON.stringify(fix, null, 2)}\n`);
        else if (format === 'steps') {
          io.stdout(
            [
              'Windows Server 2008 and later:',
              ...fix.steps2008.map((s, i) => `  ${i + 1}. ${s}`),
              'Windows 2000 / 2003:',
              ...fix.steps2003.map((s, i) => `  ${i + 1}. ${s}`),
              'IIS:',
              ...fix.iisAdvice.map((s) => `  - ${s}`),
              '',
            ].join('\n'),
          );
        } else throw usage('--format: ps1, steps or json', 'format');
        return 0;
      }
      case 'probe': {
        let problem = false;
        const result: { probe?: ProbeResult; synRecv?: StuckGroup[] } = {};
        const lines: string[] = [];
        if (values.interface !== undefined || values.vip !== undefined) {
          if (vips.length !== 1) throw usage('probe: give exactly one --vip', 'vip');
          if (values.interface === undefined) throw usage('probe: --interface is required', 'interface');
          const known = Object.fromEntries(
            (values.known ?? []).map((entry, i) => {
              const at = entry.indexOf('=');
              if (at < 1) throw usage(`--known: ${JSON.stringify(entry)} is not NAME=MAC`, `known[${i}]`);
              return [entry.slice(0, at), entry.slice(at + 1)];
            }),
          );
          const seconds = integer(values.seconds, 'seconds');
          result.probe = await probe(system, {
            vip: vips[0]?.address ?? '',
            interface: values.interface,
            known,
            realServers: values['real-server'] ?? [],
            ...(seconds === undefined ? {} : { seconds }),
          });
          problem ||= result.probe.verdict === 'problem';
          lines.push(`${result.probe.verdict.toUpperCase()}: ${result.probe.message}`);
          for (const a of result.probe.answers)
            lines.push(`  ${a.mac}${a.name ? ` ${a.name}` : ''}${a.realServer ? ' (real server)' : ''}`);
        }
        if (values['syn-recv']) {
          const services = (await system.readNetProc('/proc/net/ip_vs')) ?? '';
          const conns = (await system.readNetProc('/proc/net/ip_vs_conn')) ?? '';
          const minStuck = integer(values['min-stuck'], 'min-stuck');
          result.synRecv = detectStuck(parseIpvsConn(conns), {
            destinations: parseIpvsServices(services),
            ...(minStuck === undefined ? {} : { minStuck }),
          });
          problem ||= result.synRecv.some((g) => g.suspect);
          for (const g of result.synRecv) {
            lines.push(
              `${g.suspect ? 'SUSPECT' : 'note'}: ${g.realServer}:${g.realPort} (VIP ${g.vip}:${g.vport}) ${g.synRecv} SYN_RECV, ${g.established} ESTABLISHED${g.suspect ? `: ${g.likelyCause}` : ''}`,
            );
          }
          if (result.synRecv.length === 0) lines.push('no DR connection is stuck in SYN_RECV');
        }
        if (result.probe === undefined && result.synRecv === undefined) {
          throw usage('probe: give --vip and --interface, or --syn-recv', 'argv');
        }
        out(result, `${lines.join('\n')}\n`);
        return problem ? 1 : 0;
      }
      default:
        throw usage(`unknown command ${JSON.stringify(command)}\n${USAGE}`, 'command');
    }
  } catch (error) {
    const e =
      error instanceof ArpFixError
        ? error
        : (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
          ? usage((error as Error).message, 'argv')
          : error;
    if (e instanceof ArpFixError) {
      io.stderr(
        json
          ? `${JSON.stringify({ error: { code: e.code, field: e.field, message: e.message } })}\n`
          : `sluice-arp-fix: ${e.code}${e.field ? ` (${e.field})` : ''}: ${e.message}\n`,
      );
    } else {
      io.stderr(`sluice-arp-fix: ${(e as Error).stack ?? String(e)}\n`);
    }
    return 2;
  }
}

function describe(change: ChangeRecord['changes'][number]): string {
  switch (change.kind) {
    case 'sysctl':
      return `sysctl ${change.path}: ${change.before} -> ${change.after}`;
    case 'address':
      return `${change.op === 'add' ? 'added' : 'removed'} ${change.address}/${change.prefix} ${change.op === 'add' ? 'on' : 'from'} ${change.ifname}`;
    case 'nft-table':
      return `created nftables table ${change.family} ${change.table}`;
    case 'nft-rule':
      return `added nftables rule ${change.table}/${change.chain} handle ${change.handle}`;
    case 'iptables-rule':
      return `added iptables -t ${change.table} ${change.chain} ${change.spec.join(' ')}`;
    case 'file':
      return `${change.before === null ? 'wrote' : 'replaced'} ${change.path}`;
    case 'symlink':
      return `enabled ${change.path} -> ${change.target}`;
  }
}
