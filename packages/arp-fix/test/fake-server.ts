import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandResult, CommandRunner } from '../src/index.js';

export interface FakeAddress {
  ifname: string;
  family: 4 | 6;
  local: string;
  prefixlen: number;
}

/**
 * A fake real server for unit tests: a file tree (proc/sys, proc/net, etc) under a temp
 * root, and a command runner that answers the few `ip`/`nft`/`iptables` calls the package
 * makes from in-memory state and records every argument array it was given.
 */
export class FakeServer {
  readonly calls: string[][] = [];
  addresses: FakeAddress[] = [{ ifname: 'lo', family: 4, local: '127.0.0.1', prefixlen: 8 }];
  netfilter: 'nft' | 'legacy' | 'none' = 'nft';
  nftRules: { daddr: string; handle: number; comment?: string }[] = [];
  nftTable = false;
  iptablesRules: string[] = [];
  private nextHandle = 2;

  private constructor(readonly root: string) {}

  static async create(interfaces: string[] = ['eth0', 'lo']): Promise<FakeServer> {
    const server = new FakeServer(await mkdtemp(join(tmpdir(), 'arpfix-')));
    for (const ifname of ['all', 'default', ...interfaces]) {
      await server.sysctl(`net/ipv4/conf/${ifname}/arp_ignore`, '0');
      await server.sysctl(`net/ipv4/conf/${ifname}/arp_announce`, '0');
    }
    await server.tcp([], []);
    return server;
  }

  async sysctl(path: string, value: string): Promise<void> {
    await mkdir(join(this.root, 'proc/sys', path, '..'), { recursive: true });
    await writeFile(join(this.root, 'proc/sys', path), `${value}\n`);
  }

  /** Listening sockets, as /proc/net/tcp and tcp6 lines (hex address in kernel order). */
  async tcp(v4: [string, number][], v6: [string, number][]): Promise<void> {
    const head = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const line = (hex: string, port: number, i: number) =>
      `   ${i}: ${hex}:${port.toString(16).toUpperCase().padStart(4, '0')} ${'0'.repeat(hex.length)}:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n`;
    const hex4 = (a: string) =>
      a
        .split('.')
        .reverse()
        .map((b) => Number(b).toString(16).toUpperCase().padStart(2, '0'))
        .join('');
    await mkdir(join(this.root, 'proc/net'), { recursive: true });
    await writeFile(join(this.root, 'proc/net/tcp'), head + v4.map(([a, p], i) => line(hex4(a), p, i)).join(''));
    await writeFile(join(this.root, 'proc/net/tcp6'), head + v6.map(([hex, p], i) => line(hex, p, i)).join(''));
  }

  runner: CommandRunner = async (command, args): Promise<CommandResult> => {
    this.calls.push([command, ...args]);
    const ok = (stdout = ''): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
    const fail = (stderr: string, exitCode = 1): CommandResult => ({ stdout: '', stderr, exitCode });
    const key = [command, ...args].join(' ');
    if (command === 'iptables' && args[0] === '-V') {
      if (this.netfilter === 'none') throw Object.assign(new Error('missing'), { code: 'ARPFIX_MISSING_BINARY' });
      return ok(this.netfilter === 'legacy' ? 'iptables v1.8.9 (legacy)\n' : 'iptables v1.8.9 (nf_tables)\n');
    }
    if (key === 'nft --version') {
      if (this.netfilter !== 'nft') throw Object.assign(new Error('missing'), { code: 'ARPFIX_MISSING_BINARY' });
      return ok('nftables v1.0.6\n');
    }
    if (key === 'ip -j addr show') return ok(JSON.stringify(this.ipJson()));
    if (command === 'ip' && args[0] === 'addr' && (args[1] === 'add' || args[1] === 'del') && args[3] === 'dev') {
      const [local = '', prefix = ''] = (args[2] ?? '').split('/');
      const entry = {
        ifname: args[4] ?? '',
        family: local.includes(':') ? 6 : 4,
        local,
        prefixlen: Number(prefix),
      } as const;
      const at = this.addresses.findIndex(
        (a) => a.ifname === entry.ifname && a.local === local && a.prefixlen === entry.prefixlen,
      );
      if (args[1] === 'add') {
        if (at >= 0) return fail('RTNETLINK answers: File exists', 2);
        this.addresses.push(entry);
      } else {
        if (at < 0) return fail('RTNETLINK answers: Cannot assign requested address', 2);
        this.addresses.splice(at, 1);
      }
      return ok();
    }
    if (key === 'nft -j list ruleset') return ok(JSON.stringify(this.nftJson()));
    if (key === 'nft list table ip sluice_arp_fix')
      return this.nftTable ? ok('table ip sluice_arp_fix {}\n') : fail('No such file or directory');
    if (key === 'nft add table ip sluice_arp_fix') {
      this.nftTable = true;
      return ok();
    }
    if (key.startsWith('nft add chain ip sluice_arp_fix prerouting {')) return ok();
    if (key.startsWith('nft --echo --handle add rule ip sluice_arp_fix prerouting ip daddr ')) {
      const handle = this.nextHandle++;
      this.nftRules.push({ daddr: args[9] ?? '', handle, comment: 'sluice-arp-fix' });
      return ok(
        `add rule ip sluice_arp_fix prerouting ip daddr ${args[9]} meta l4proto tcp redirect comment "sluice-arp-fix" # handle ${handle}\n`,
      );
    }
    if (key.startsWith('nft delete rule ip sluice_arp_fix prerouting handle ')) {
      this.nftRules = this.nftRules.filter((r) => r.handle !== Number(args[6]));
      return ok();
    }
    if (key === 'nft delete table ip sluice_arp_fix') {
      this.nftTable = false;
      this.nftRules = [];
      return ok();
    }
    if (key === 'iptables-save -t nat') {
      return ok(
        `*nat\n:PREROUTING ACCEPT [0:0]\n${this.iptablesRules.map((r) => `-A PREROUTING ${r}\n`).join('')}COMMIT\n`,
      );
    }
    if (key === 'ip6tables-save -t nat') return ok('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n');
    if (command === 'iptables' && args.slice(0, 3).join(' ') === '-t nat -A') {
      this.iptablesRules.push(args.slice(4).join(' '));
      return ok();
    }
    if (command === 'iptables' && args.slice(0, 3).join(' ') === '-t nat -D') {
      const rule = args.slice(4).join(' ');
      const at = this.iptablesRules.indexOf(rule);
      if (at < 0) return fail('iptables: Bad rule (does a matching rule exist in that chain?).');
      this.iptablesRules.splice(at, 1);
      return ok();
    }
    return fail(`fake server: unexpected command ${key}`, 127);
  };

  private ipJson() {
    const names = [...new Set(this.addresses.map((a) => a.ifname))];
    return names.map((ifname) => ({
      ifname,
      addr_info: this.addresses
        .filter((a) => a.ifname === ifname)
        .map((a) => ({ family: a.family === 4 ? 'inet' : 'inet6', local: a.local, prefixlen: a.prefixlen })),
    }));
  }

  private nftJson() {
    const items: unknown[] = [{ metainfo: { json_schema_version: 1 } }];
    if (this.nftTable) {
      items.push({ table: { family: 'ip', name: 'sluice_arp_fix', handle: 1 } });
      items.push({
        chain: {
          family: 'ip',
          table: 'sluice_arp_fix',
          name: 'prerouting',
          handle: 1,
          type: 'nat',
          hook: 'prerouting',
          prio: -100,
          policy: 'accept',
        },
      });
      for (const r of this.nftRules) {
        items.push({
          rule: {
            family: 'ip',
            table: 'sluice_arp_fix',
            chain: 'prerouting',
            handle: r.handle,
            comment: r.comment,
            expr: [
              { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: r.daddr } },
              { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } },
              { redirect: null },
            ],
          },
        });
      }
    }
    return { nftables: items };
  }

  async destroy(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
