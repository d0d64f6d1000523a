import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IpvsClient } from '../src/client.js';
import { type Connection, parseConnections } from '../src/conntable.js';
import { fakeKernel } from './fixtures/kernel.js';

// As net/netfilter/ipvs/ip_vs_conn.c prints it: "%-3s %08X %04X %08X %04X %08X %04X %-11s %7u%s\n"
// for IPv4 (addresses and ports as big-endian numbers in hex), "%pI6" (full, zero-padded)
// for IPv6, the destination in its own family, then " PEName PEData" when a persistence
// engine holds data.
const V6_CLIENT = '2001:0db8:0000:0000:0000:0000:0000:0064';
const V6_VIP = '2001:0db8:0000:0000:0000:0000:0000:0010';
const V6_REAL = '2001:0db8:0000:0000:0000:0000:0000:0020';
const TABLE = [
  'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData',
  'TCP C0000264 D431 C000020A 0050 C6336414 1F90 ESTABLISHED     899',
  'TCP C0000265 A1B2 C000020A 0050 C6336415 0050 SYN_RECV         59',
  'UDP C0000266 3039 C000020A 0035 C6336414 0035 UDP             298',
  'IP  C0000200 0000 C000020A 0050 C6336414 0050 NONE            299',
  'IP  C0000200 0000 00000064 0000 C6336414 0000 NONE            300',
  'SCTP C0000264 0F1C C000020A 0F1C C6336414 0F1C ESTABLISHED     30',
  'UDP C0000267 13C4 C6336407 13C4 C6336414 13C4 UDP             120 sip 1234abcd@203.0.113.9',
  `TCP ${V6_CLIENT} D431 ${V6_VIP} 0050 ${V6_REAL} 0050 FIN_WAIT         99`,
  `TCP ${V6_CLIENT} D432 ${V6_VIP} 0050 CB007105 0050 TIME_WAIT        119`,
  '',
].join('\n');

const expected: Connection[] = [
  {
    protocol: 'tcp',
    client: { address: '192.0.2.100', port: 54321 },
    virtual: { address: '192.0.2.10', port: 80 },
    destination: { address: '198.51.100.20', port: 8080 },
    state: 'ESTABLISHED',
    expires: 899,
  },
  {
    protocol: 'tcp',
    client: { address: '192.0.2.101', port: 0xa1b2 },
    virtual: { address: '192.0.2.10', port: 80 },
    destination: { address: '198.51.100.21', port: 80 },
    state: 'SYN_RECV',
    expires: 59,
  },
  {
    protocol: 'udp',
    client: { address: '192.0.2.102', port: 12345 },
    virtual: { address: '192.0.2.10', port: 53 },
    destination: { address: '198.51.100.20', port: 53 },
    state: 'UDP',
    expires: 298,
  },
  {
    // A persistence template: protocol IP, the client network, no client port.
    protocol: 'ip',
    client: { address: '192.0.2.0', port: 0 },
    virtual: { address: '192.0.2.10', port: 80 },
    destination: { address: '198.51.100.20', port: 80 },
    state: 'NONE',
    expires: 299,
  },
  {
    // A firewall-mark template: the mark (100) stands in the virtual address.
    protocol: 'ip',
    client: { address: '192.0.2.0', port: 0 },
    virtual: { address: '0.0.0.100', port: 0 },
    destination: { address: '198.51.100.20', port: 0 },
    state: 'NONE',
    expires: 300,
  },
  {
    protocol: 'sctp',
    client: { address: '192.0.2.100', port: 3868 },
    virtual: { address: '192.0.2.10', port: 3868 },
    destination: { address: '198.51.100.20', port: 3868 },
    state: 'ESTABLISHED',
    expires: 30,
  },
  {
    protocol: 'udp',
    client: { address: '192.0.2.103', port: 5060 },
    virtual: { address: '198.51.100.7', port: 5060 },
    destination: { address: '198.51.100.20', port: 5060 },
    state: 'UDP',
    expires: 120,
    persistenceEngine: { name: 'sip', data: '1234abcd@203.0.113.9' },
  },
  {
    protocol: 'tcp',
    client: { address: '2001:db8::64', port: 54321 },
    virtual: { address: '2001:db8::10', port: 80 },
    destination: { address: '2001:db8::20', port: 80 },
    state: 'FIN_WAIT',
    expires: 99,
  },
  {
    // An IPv4 real server behind an IPv6 service (tun): the destination in its own family.
    protocol: 'tcp',
    client: { address: '2001:db8::64', port: 54322 },
    virtual: { address: '2001:db8::10', port: 80 },
    destination: { address: '203.0.113.5', port: 80 },
    state: 'TIME_WAIT',
    expires: 119,
  },
];

describe('parseConnections', () => {
  it('parses every kind of entry', () => {
    expect(parseConnections(TABLE)).toEqual(expected);
  });

  it('has no persistence engine on entries without one', () => {
    const entries = parseConnections(TABLE);
    expect(entries.filter((c) => 'persistenceEngine' in c)).toHaveLength(1);
  });

  it('finds connections stuck in SYN_RECV (the DR ARP problem)', () => {
    const stuck = parseConnections(TABLE).filter((c) => c.state === 'SYN_RECV');
    expect(stuck.map((c) => c.destination.address)).toEqual(['198.51.100.21']);
  });

  it('returns nothing for an empty table, a header alone, or an empty file', () => {
    expect(parseConnections('')).toEqual([]);
    expect(parseConnections(`${TABLE.split('\n')[0]}\n`)).toEqual([]);
  });

  it('skips short lines instead of guessing', () => {
    expect(parseConnections('TCP C0000264 D431 C000020A\n\n   \n')).toEqual([]);
  });

  it('reads addresses as big-endian numbers: high bit set, all zero, all ones', () => {
    const [a] = parseConnections('TCP FFFFFFFF FFFF 00000000 0001 CB0071FE 8000 CLOSE             7\n');
    expect(a).toMatchObject({
      client: { address: '255.255.255.255', port: 65535 },
      virtual: { address: '0.0.0.0', port: 1 },
      destination: { address: '203.0.113.254', port: 32768 },
      state: 'CLOSE',
      expires: 7,
    });
  });

  it('accepts lower-case hex and CRLF line ends', () => {
    const [a] = parseConnections('TCP c0000264 d431 c000020a 0050 c6336414 1f90 ESTABLISHED     899\r\n');
    expect(a).toEqual(expected[0]);
  });
});

describe('IpvsClient.connections()', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("reads ip_vs_conn from the transport's namespace", async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipvs-conn-'));
    await writeFile(join(dir, 'ip_vs_conn'), TABLE);
    const client = await IpvsClient.open({ transport: fakeKernel(0x21, undefined, dir) });
    expect(await client.connections()).toEqual(expected);
  });

  it('says IPVS is missing when the file is not there', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipvs-conn-'));
    const client = await IpvsClient.open({ transport: fakeKernel(0x21, undefined, dir) });
    const error = await client.connections().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IPVS_UNAVAILABLE' });
    expect((error as Error).message).toContain(join(dir, 'ip_vs_conn'));
    expect((error as Error & { cause: { code: string } }).cause.code).toBe('ENOENT');
  });
});

describe('malformed lines', () => {
  it('skips a line whose fields are not what the kernel prints', () => {
    const text = [
      'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData',
      'TCP ZZZZZZZZ XXXX CB00710A 0050 C000020B 1F90 ESTABLISHED     892',
      'TCP CB007102 A1B2 CB00710A 0050 C000020B 1F90 ESTABLISHED     soon',
      'TCP CB007102 A1B2 CB00710A 0050 C000020B 1F90 SYN_RECV         59',
    ].join('\n');
    expect(parseConnections(text)).toEqual([
      {
        protocol: 'tcp',
        client: { address: '203.0.113.2', port: 0xa1b2 },
        virtual: { address: '203.0.113.10', port: 80 },
        destination: { address: '192.0.2.11', port: 8080 },
        state: 'SYN_RECV',
        expires: 59,
      },
    ]);
  });
});
