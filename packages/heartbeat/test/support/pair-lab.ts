import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Host, Lab, type NamespaceProcess } from '@sluice/testkit';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const SECRET = 'c0ffee'.repeat(8);
export const VIP4 = '192.0.2.100';
export const VIP6 = '2001:db8::100';
export const ECHO_PORT = 7;
export const LAN_PORT = 694;
export const DIRECT_PORT = 695;

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Balancer {
  host: Host;
  label: 'lba' | 'lbb';
  nodeId: string;
  lanIf: string;
  directIf: string;
  mac: string;
  configFile: string;
  daemon: NamespaceProcess | undefined;
  /** The event lines the current daemon printed. */
  events(): Record<string, unknown>[];
  state(): string | undefined;
}

/**
 * Two balancers and a client on one bridge (the LAN, heartbeats by broadcast), plus a
 * direct cable between the balancers (heartbeats by IPv6 multicast). Floating IPs: an
 * IPv4 and an IPv6 address on the LAN. Each balancer runs a UDP echo server on all
 * addresses, so the client sees who holds the floating IP.
 */
export async function pairLab(
  options: {
    autoFailback?: boolean;
    pingClient?: boolean;
    /** `broadcast`: IPv4 broadcast on the LAN, IPv6 multicast on the cable (default); `unicast`: IPv6 unicast on the LAN, IPv4 multicast on the cable. */
    links?: 'broadcast' | 'unicast';
    /** Timers of both nodes (default: the package's, 50/150 ms). */
    timing?: { keepaliveMs: number; warntimeMs: number; deadtimeMs: number; initdeadMs: number };
  } = {},
) {
  const lab = await Lab.create();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-hb-'));
  const sw = await lab.switch('sw');
  const client = await lab.host('client');
  const clientIf = await lab.attach(client, sw, ['192.0.2.10/24', '2001:db8::10/64']);
  // Without the announcements the client would keep sending to the dead node's MAC for
  // a minute: traffic that resumes sooner proves the gratuitous ARP / NA worked.
  for (const family of ['ipv4', 'ipv6']) {
    await client.sysctl(`net.${family}.neigh.${clientIf}.delay_first_probe_time`, 60);
  }
  await client.sysctl(`net.ipv4.neigh.${clientIf}.base_reachable_time_ms`, 60_000);
  await client.sysctl(`net.ipv6.neigh.${clientIf}.base_reachable_time_ms`, 60_000);

  const hosts = { lba: await lab.host('lba'), lbb: await lab.host('lbb') };
  const lanA = await lab.attach(hosts.lba, sw, ['192.0.2.1/24', '2001:db8::1/64']);
  const lanB = await lab.attach(hosts.lbb, sw, ['192.0.2.2/24', '2001:db8::2/64']);
  const direct = await lab.link(hosts.lba, hosts.lbb, {
    aAddrs: ['198.51.100.1/24', '2001:db8:1::1/64'],
    bAddrs: ['198.51.100.2/24', '2001:db8:1::2/64'],
  });

  const balancer = async (label: 'lba' | 'lbb'): Promise<Balancer> => {
    const host = hosts[label];
    const lanIf = label === 'lba' ? lanA : lanB;
    const directIf = label === 'lba' ? direct.aIf : direct.bIf;
    const nodeId = label === 'lba' ? 'lb-a' : 'lb-b';
    const configFile = join(dir, `${label}.json`);
    writeFileSync(
      configFile,
      JSON.stringify({
        nodeId,
        peerId: label === 'lba' ? 'lb-b' : 'lb-a',
        role: label === 'lba' ? 'master' : 'slave',
        autoFailback: options.autoFailback ?? true,
        ...(options.timing === undefined ? {} : { timing: options.timing }),
        keys: [{ id: 1, secret: SECRET }],
        epochFile: join(dir, `${label}.epoch`),
        links:
          options.links === 'unicast'
            ? [
                {
                  name: 'lan',
                  type: 'unicast',
                  local: label === 'lba' ? '2001:db8::1' : '2001:db8::2',
                  peer: label === 'lba' ? '2001:db8::2' : '2001:db8::1',
                  port: LAN_PORT,
                },
                {
                  name: 'direct',
                  type: 'multicast',
                  group: '239.192.6.94',
                  local: label === 'lba' ? '198.51.100.1' : '198.51.100.2',
                  port: DIRECT_PORT,
                },
              ]
            : [
                { name: 'lan', type: 'broadcast', broadcast: '192.0.2.255', port: LAN_PORT },
                { name: 'direct', type: 'multicast', group: 'ff02::694', interface: directIf, port: DIRECT_PORT },
              ],
        ...(options.pingClient
          ? { pingNodes: [{ type: 'icmp', address: '192.0.2.10' }], ping: { intervalMs: 200, timeoutMs: 500, fall: 2 } }
          : {}),
        floatingIps: [
          { address: `${VIP4}/24`, interface: lanIf },
          { address: `${VIP6}/64`, interface: lanIf },
        ],
      }),
    );
    await host.serveUdpEcho({ name: label, port: ECHO_PORT });
    const { stdout } = await host.exec('cat', [`/sys/class/net/${lanIf}/address`]);
    const b: Balancer = {
      host,
      label,
      nodeId,
      lanIf,
      directIf,
      mac: stdout.trim(),
      configFile,
      daemon: undefined,
      events: () =>
        (b.daemon?.log ?? '')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      state: () => {
        const states = b.events().filter((e) => e.type === 'state');
        return states.at(-1)?.to as string | undefined;
      },
    };
    return b;
  };

  const a = await balancer('lba');
  const b = await balancer('lbb');
  const archived = new Map<Balancer, string[]>();

  return {
    lab,
    client,
    clientIf,
    a,
    b,
    async start(node: Balancer): Promise<void> {
      if (node.daemon) archived.set(node, [...(archived.get(node) ?? []), node.daemon.log]);
      node.daemon = node.host.spawn(process.execPath, [CLI, 'run', '--config', node.configFile]);
      await node.daemon.waitForLine('READY', 20_000);
    },
    /** The machine dies: SIGKILL of the daemon and its LAN cable pulled at once. */
    async crash(node: Balancer): Promise<void> {
      await Promise.all([node.daemon?.stop(), node.host.ip(['link', 'set', node.lanIf, 'down'])]);
    },
    async revive(node: Balancer): Promise<void> {
      await node.host.ip(['link', 'set', node.lanIf, 'up']);
    },
    /** Who answers on a floating IP, as the client sees it (`lba`, `lbb`, or undefined on no answer). */
    async servedBy(address: string): Promise<string | undefined> {
      try {
        const reply = await client.udpRequest(address, ECHO_PORT, 'ping', 500);
        return reply.split(':')[0];
      } catch {
        return undefined;
      }
    },
    /** Drops (or lets through again) every heartbeat to and from a balancer, leaving the LAN up. */
    async cutHeartbeats(node: Balancer, cut = true): Promise<void> {
      if (!cut) {
        await node.host.exec('nft', ['delete', 'table', 'inet', 'hbcut']);
        return;
      }
      await node.host.exec('nft', ['add', 'table', 'inet', 'hbcut']);
      for (const [chain, hook] of [
        ['in', 'input'],
        ['out', 'output'],
      ] as const) {
        await node.host.exec('nft', [
          'add',
          'chain',
          'inet',
          'hbcut',
          chain,
          `{ type filter hook ${hook} priority 0; }`,
        ]);
        for (const port of [LAN_PORT, DIRECT_PORT]) {
          await node.host.exec('nft', ['add', 'rule', 'inet', 'hbcut', chain, 'udp', 'dport', String(port), 'drop']);
        }
      }
    },
    /** Drops (or lets through again) a balancer's pings to the client, its ping node. */
    async blockPing(node: Balancer, block = true): Promise<void> {
      if (!block) {
        await node.host.exec('nft', ['delete', 'table', 'inet', 'pingcut']);
        return;
      }
      await node.host.exec('nft', ['add', 'table', 'inet', 'pingcut']);
      await node.host.exec('nft', [
        'add',
        'chain',
        'inet',
        'pingcut',
        'out',
        '{ type filter hook output priority 0; }',
      ]);
      await node.host.exec('nft', [
        'add',
        'rule',
        'inet',
        'pingcut',
        'out',
        'ip',
        'daddr',
        '192.0.2.10',
        'icmp',
        'type',
        'echo-request',
        'drop',
      ]);
    },
    async neighbourMac(address: string): Promise<string | undefined> {
      const { stdout } = await client.ip(['neigh', 'show', address, 'dev', clientIf]);
      return /lladdr ([0-9a-f:]+)/.exec(stdout)?.[1];
    },
    history(node: Balancer): Record<string, unknown>[] {
      return [...(archived.get(node) ?? []), node.daemon?.log ?? '']
        .join('\n')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async destroy(): Promise<void> {
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type PairLab = Awaited<ReturnType<typeof pairLab>>;
