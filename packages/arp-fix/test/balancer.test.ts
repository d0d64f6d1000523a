import { describe, expect, it } from 'vitest';
import {
  type CommandResult,
  detectStuck,
  parseArping,
  parseIpvsConn,
  parseIpvsServices,
  parseNdisc6,
  probe,
} from '../src/index.js';

// Captured from the rig's IPVS kernel (UML 6.1) and from iputils-arping / ndisc6 on Debian 12.
const IP_VS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  C000020A:0050 rr
  -> C0000216:0050      Masq    1      0          0
  -> C0000215:0050      Route   1      0          0
  -> C0000217:0050      Route   1      0          0
TCP  [2001:0db8:0000:0000:0000:0000:0000:0010]:0050 rr
  -> [2001:0db8:0000:0000:0000:0000:0000:0021]:0050      Route   1      0          0
`;
const IP_VS_CONN = `Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP C0000201 9C40 C000020A 0050 C0000215 0050 SYN_RECV         54
TCP C0000201 9C41 C000020A 0050 C0000215 0050 SYN_RECV         55
TCP C0000201 9C42 C000020A 0050 C0000215 0050 SYN_RECV         57
TCP C0000201 9C43 C000020A 0050 C0000217 0050 ESTABLISHED     899
TCP C0000201 9C44 C000020A 0050 C0000217 0050 SYN_RECV         59
TCP C0000201 9C45 C000020A 0050 C0000216 0050 SYN_RECV         59
TCP C0000201 9C46 C000020A 0050 C0000216 0050 SYN_RECV         59
TCP C0000201 9C47 C000020A 0050 C0000216 0050 SYN_RECV         59
TCP 2001:0db8:0000:0000:0000:0000:0000:0001 9C48 2001:0db8:0000:0000:0000:0000:0000:0010 0050 2001:0db8:0000:0000:0000:0000:0000:0021 0050 SYN_RECV         59
`;
const ARPING = `ARPING 192.0.2.10 from 192.0.2.1 eth0
Unicast reply from 192.0.2.10 [AE:2E:86:03:D4:92]  0.593ms
Unicast reply from 192.0.2.10 [36:23:F7:F4:BC:3A]  0.620ms
Unicast reply from 192.0.2.10 [AE:2E:86:03:D4:92]  0.611ms
Sent 2 probes (1 broadcast(s))
Received 3 response(s)
`;
const NDISC6 = `Soliciting 2001:db8::10 (2001:db8::10) on eth0...
Target link-layer address: AE:2E:86:03:D4:92
 from 2001:db8::10
Target link-layer address: 36:23:F7:F4:BC:3A
 from 2001:db8::10
`;

describe('IPVS connection table', () => {
  it('parses services with their forwarding method and connections, IPv4 and IPv6', () => {
    const dests = parseIpvsServices(IP_VS);
    expect(dests).toContainEqual({
      protocol: 'TCP',
      vip: '192.0.2.10',
      vport: 80,
      realServer: '192.0.2.21',
      realPort: 80,
      forward: 'Route',
    });
    expect(dests.at(-1)).toMatchObject({ vip: '2001:db8::10', realServer: '2001:db8::21', forward: 'Route' });
    const conns = parseIpvsConn(IP_VS_CONN);
    expect(conns).toHaveLength(9);
    expect(conns[0]).toEqual({
      protocol: 'TCP',
      client: '192.0.2.1',
      clientPort: 40000,
      vip: '192.0.2.10',
      vport: 80,
      realServer: '192.0.2.21',
      realPort: 80,
      state: 'SYN_RECV',
      expiresSeconds: 54,
    });
    expect(conns[8]).toMatchObject({ client: '2001:db8::1', realServer: '2001:db8::21' });
  });

  it('groups SYN_RECV by DR real server, ignores NAT ones, and names the suspects', () => {
    const groups = detectStuck(parseIpvsConn(IP_VS_CONN), { destinations: parseIpvsServices(IP_VS) });
    expect(groups.map((g) => [g.realServer, g.synRecv, g.established, g.suspect])).toEqual([
      ['192.0.2.21', 3, 0, true],
      ['192.0.2.23', 1, 1, false],
      ['2001:db8::21', 1, 0, false],
    ]);
    expect(groups[0]?.likelyCause).toContain('sluice-arp-fix inspect');
  });
});

describe('segment probe', () => {
  it('parses every distinct MAC from arping and ndisc6 output', () => {
    expect(parseArping(ARPING)).toEqual(['ae:2e:86:03:d4:92', '36:23:f7:f4:bc:3a']);
    expect(parseNdisc6(NDISC6)).toEqual(['ae:2e:86:03:d4:92', '36:23:f7:f4:bc:3a']);
  });

  it('runs arping with an argument array and shows two answers, one a real server, plainly', async () => {
    const calls: string[][] = [];
    const tryRun = async (command: string, args: readonly string[]): Promise<CommandResult> => {
      calls.push([command, ...args]);
      return { stdout: ARPING, stderr: '', exitCode: 0 };
    };
    const result = await probe(
      { tryRun },
      {
        vip: '192.0.2.10',
        interface: 'eth0',
        known: { director: 'AE:2E:86:03:D4:92', rs1: '36:23:f7:f4:bc:3a' },
        realServers: ['rs1'],
      },
    );
    expect(calls).toEqual([['arping', '-w', '2', '-I', 'eth0', '192.0.2.10']]);
    expect(result.verdict).toBe('problem');
    expect(result.answers).toEqual([
      { mac: 'ae:2e:86:03:d4:92', name: 'director', realServer: false },
      { mac: '36:23:f7:f4:bc:3a', name: 'rs1', realServer: true },
    ]);
    expect(result.message).toContain('real server 36:23:f7:f4:bc:3a (rs1) must not');
  });

  it('uses ndisc6 for IPv6 and reports silence as no-answer', async () => {
    const calls: string[][] = [];
    const tryRun = async (command: string, args: readonly string[]): Promise<CommandResult> => {
      calls.push([command, ...args]);
      return {
        stdout: 'Soliciting 2001:db8::10 (2001:db8::10) on eth0...\nTimed out.\n',
        stderr: 'No response.\n',
        exitCode: 2,
      };
    };
    const result = await probe({ tryRun }, { vip: '2001:db8::10', interface: 'eth0' });
    expect(calls).toEqual([['ndisc6', '-m', '-n', '-r', '2', '-w', '1000', '2001:db8::10', 'eth0']]);
    expect(result.verdict).toBe('no-answer');
  });

  it('rejects an interface name that could be an option or a MAC that is not one', async () => {
    const tryRun = async (): Promise<CommandResult> => ({ stdout: '', stderr: '', exitCode: 0 });
    await expect(probe({ tryRun }, { vip: '192.0.2.10', interface: '-I' })).rejects.toMatchObject({
      code: 'ARPFIX_INVALID_FIELD',
      field: 'interface',
    });
    await expect(
      probe({ tryRun }, { vip: '192.0.2.10', interface: 'eth0', known: { rs1: 'nope' } }),
    ).rejects.toMatchObject({ field: 'known.rs1' });
  });
});
