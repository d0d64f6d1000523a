import { describe, expect, it } from 'vitest';
import { IpvsClient } from '../src/client.js';
import { encodeGenl, NLM_F_ACK } from '../src/netlink/message.js';
import { type Operation, operationRequest } from '../src/operations.js';
import { type Service, type ServiceKey, ZERO_STATS } from '../src/types.js';
import * as G from './fixtures/golden.js';
import {
  ack,
  be16,
  cstr,
  fakeKernel,
  genl,
  header,
  inetAddr,
  le16,
  le32,
  le64,
  NLM_F_MULTI,
  nest,
  nla,
  withSeq,
} from './fixtures/kernel.js';

const TCP4: ServiceKey = { protocol: 'tcp', address: '192.0.2.10', port: 80 };
const hexOf = (b: Buffer | undefined) => b?.toString('hex');

/** Walks attributes and checks every length: guards the hand-written fixtures themselves. */
function checkAttrs(buf: Buffer, path: string): void {
  let at = 0;
  while (at < buf.length) {
    const len = buf.readUInt16LE(at);
    const type = buf.readUInt16LE(at + 2);
    expect(len, `${path} attribute at ${at}`).toBeGreaterThanOrEqual(4);
    expect(at + len, `${path} attribute at ${at} overruns`).toBeLessThanOrEqual(buf.length);
    if (type & 0x8000) checkAttrs(buf.subarray(at + 4, at + len), `${path}/${type & 0x3fff}`);
    at += (len + 3) & ~3;
  }
  expect(at, `${path} ends on a 4-byte boundary`).toBe(buf.length);
}

const goldens = Object.entries(G).filter(
  ([name, value]) => Buffer.isBuffer(value) && name !== 'SERVICE_KEY_TCP4_ATTR',
) as [string, Buffer][];

describe('golden fixtures', () => {
  it.each(goldens)('%s is a well-formed message', (name, bytes) => {
    expect(bytes.readUInt32LE(0), `${name} nlmsg_len`).toBe(bytes.length);
    checkAttrs(bytes.subarray(20), name);
  });

  it('spells the service key the same in every message that carries it', () => {
    for (const m of [G.DEL_SERVICE, G.GET_SERVICE_ONE, G.NEW_DEST_NAT, G.DEL_DEST, G.GET_DEST_DUMP, G.ZERO_SERVICE]) {
      expect(hexOf(m.subarray(20, 20 + 48))).toBe(hexOf(G.SERVICE_KEY_TCP4_ATTR));
    }
  });
});

/** The requests that operations build, as the client sends them alone (acknowledged). */
const OPERATIONS: [string, Operation, Buffer][] = [
  [
    'add-service tcp IPv4 persistent /24',
    {
      op: 'add-service',
      service: { ...TCP4, scheduler: 'rr', persistence: { timeout: 300, netmask: 24 } },
    },
    G.NEW_SERVICE_TCP4_PERSISTENT,
  ],
  [
    'add-service udp IPv6 sh flags one-packet',
    {
      op: 'add-service',
      service: {
        protocol: 'udp',
        address: '2001:db8::10',
        port: 53,
        scheduler: 'sh',
        schedulerFlags: { fallback: true, port: true },
        onePacket: true,
      },
    },
    G.NEW_SERVICE_UDP6_SH,
  ],
  [
    'add-service fwmark',
    { op: 'add-service', service: { fwmark: 100, family: 4, scheduler: 'wrr' } },
    G.NEW_SERVICE_FWMARK,
  ],
  [
    'edit-service udp with persistence engine',
    {
      op: 'edit-service',
      service: {
        protocol: 'udp',
        address: '198.51.100.7',
        port: 5060,
        persistence: { timeout: 3600 },
        persistenceEngine: 'sip',
      },
    },
    G.SET_SERVICE_UDP4_SIP,
  ],
  ['delete-service', { op: 'delete-service', service: TCP4 }, G.DEL_SERVICE],
  [
    'add-destination nat',
    {
      op: 'add-destination',
      service: TCP4,
      destination: {
        address: '198.51.100.20',
        port: 8080,
        forwarding: 'nat',
        weight: 5,
        upperThreshold: 1000,
        lowerThreshold: 800,
      },
    },
    G.NEW_DEST_NAT,
  ],
  [
    'add-destination tun gue',
    {
      op: 'add-destination',
      service: TCP4,
      destination: {
        address: '203.0.113.5',
        port: 80,
        forwarding: 'tun',
        tunnel: { type: 'gue', port: 6080, checksum: 'csum' },
      },
    },
    G.NEW_DEST_TUN_GUE,
  ],
  [
    'edit-destination weight 0',
    {
      op: 'edit-destination',
      service: TCP4,
      destination: { address: '198.51.100.20', port: 8080, forwarding: 'nat', weight: 0 },
    },
    G.SET_DEST_DRAIN,
  ],
  [
    'delete-destination',
    { op: 'delete-destination', service: TCP4, destination: { address: '198.51.100.20', port: 8080 } },
    G.DEL_DEST,
  ],
];

describe('operationRequest() encodes golden bytes', () => {
  it.each(OPERATIONS)('%s', (_name, operation, golden) => {
    const req = operationRequest(operation, G.FAMILY_ID, '');
    expect(req.family).toBe(G.FAMILY_ID);
    expect(req.version).toBe(1);
    expect(req.flags).toBe(0);
    const wire = encodeGenl({ ...req, flags: req.flags | NLM_F_ACK }, G.SEQ, G.PORT);
    expect(hexOf(wire)).toBe(hexOf(golden));
  });
});

async function openClient(answer?: Parameters<typeof fakeKernel>[1]) {
  const transport = fakeKernel(G.FAMILY_ID, answer);
  const client = await IpvsClient.open({ transport });
  return { transport, client };
}

/** The last datagram the client sent, against a golden message with the client's seq. */
function expectSent(transport: { sent: Buffer[] }, golden: Buffer): void {
  const last = transport.sent.at(-1);
  expect(last).toBeDefined();
  expect(hexOf(last)).toBe(hexOf(withSeq(golden, header(last as Buffer).seq)));
}

describe('IpvsClient sends golden bytes', () => {
  it('looks the IPVS family up with CTRL_CMD_GETFAMILY', async () => {
    const { transport } = await openClient();
    expect(transport.sent).toHaveLength(1);
    expectSent(transport, G.GET_FAMILY);
  });

  it.each(OPERATIONS)('%s', async (_name, operation, golden) => {
    const { transport, client } = await openClient();
    switch (operation.op) {
      case 'add-service':
        await client.addService(operation.service);
        break;
      case 'edit-service':
        await client.editService(operation.service);
        break;
      case 'delete-service':
        await client.deleteService(operation.service);
        break;
      case 'add-destination':
        await client.addDestination(operation.service, operation.destination);
        break;
      case 'edit-destination':
        await client.editDestination(operation.service, operation.destination);
        break;
      case 'delete-destination':
        await client.deleteDestination(operation.service, operation.destination);
        break;
    }
    expectSent(transport, golden);
  });

  it('sequence numbers follow each other', async () => {
    const { transport, client } = await openClient();
    await client.flush();
    await client.flush();
    const [a, b, c] = transport.sent.map((d) => header(d).seq);
    expect(b).toBe(((a as number) + 1) >>> 0);
    expect(c).toBe(((b as number) + 1) >>> 0);
  });

  const others: [string, (c: IpvsClient) => Promise<unknown>, Buffer][] = [
    ['GET_SERVICE dump (listServices)', (c) => c.listServices(), G.GET_SERVICE_DUMP],
    ['GET_DEST dump (listDestinations)', (c) => c.listDestinations(TCP4), G.GET_DEST_DUMP],
    [
      'NEW_DAEMON v2 (startDaemon)',
      (c) =>
        c.startDaemon({
          state: 'master',
          interface: 'eth0',
          syncId: 7,
          maxLength: 1472,
          group: '233.252.0.1',
          port: 8848,
          ttl: 2,
        }),
      G.NEW_DAEMON_V2,
    ],
    ['DEL_DAEMON (stopDaemon)', (c) => c.stopDaemon('backup'), G.DEL_DAEMON_BACKUP],
    ['GET_DAEMON dump (listDaemons)', (c) => c.listDaemons(), G.GET_DAEMON_DUMP],
    ['GET_INFO (info)', (c) => c.info(), G.GET_INFO],
    ['GET_CONFIG (getTimeouts)', (c) => c.getTimeouts(), G.GET_CONFIG],
    ['SET_CONFIG (setTimeouts)', (c) => c.setTimeouts({ tcp: 900, tcpFin: 120, udp: 300 }), G.SET_CONFIG],
    ['ZERO all', (c) => c.zero(), G.ZERO_ALL],
    ['ZERO one service', (c) => c.zero(TCP4), G.ZERO_SERVICE],
    ['FLUSH', (c) => c.flush(), G.FLUSH],
  ];

  it.each(others)('%s', async (_name, call, golden) => {
    // GET_SERVICE of one service must find one; the others accept an empty answer.
    const { transport, client } = await openClient();
    await call(client);
    expectSent(transport, golden);
  });

  it('GET_SERVICE of one service (getService)', async () => {
    const { transport, client } = await openClient(({ header: h }) => [
      genl(G.FAMILY_ID, 1, 0, h.seq, h.pid, nest(1, ...tcpServiceAttrs())),
    ]);
    await client.getService(TCP4);
    expectSent(transport, G.GET_SERVICE_ONE);
  });

  it('sends only the timeouts given (SET_CONFIG)', async () => {
    const { transport, client } = await openClient();
    await client.setTimeouts({ udp: 300 });
    const last = transport.sent.at(-1) as Buffer;
    expect(last.readUInt32LE(0)).toBe(28);
    expect(hexOf(last.subarray(20))).toBe('080006002c010000');
  });
});

describe('IpvsClient batches golden bytes', () => {
  it('execute() puts the operations in one datagram, asking an ack of the last only', async () => {
    const { transport, client } = await openClient();
    const results = await client.execute([OPERATIONS[0]?.[1] as Operation, OPERATIONS[5]?.[1] as Operation]);
    expect(results.every((r) => r.error === undefined)).toBe(true);
    const datagram = transport.sent.at(-1) as Buffer;
    const seq = header(datagram).seq;
    const first = withSeq(G.NEW_SERVICE_TCP4_PERSISTENT, seq);
    first.writeUInt16LE(0x0001, 6); // NLM_F_REQUEST only: the kernel answers it only on error
    const second = withSeq(G.NEW_DEST_NAT, seq + 1);
    expect(hexOf(datagram)).toBe(hexOf(Buffer.concat([first, second])));
  });
});

describe('encoding details', () => {
  const serviceAttr = (service: Operation & { op: 'add-service' }) =>
    encodeGenl(operationRequest(service, G.FAMILY_ID, ''), 1).subarray(24);
  const find = (attrs: Buffer, type: number): Buffer | undefined => {
    for (let at = 0; at < attrs.length; ) {
      const len = attrs.readUInt16LE(at);
      if ((attrs.readUInt16LE(at + 2) & 0x3fff) === type) return attrs.subarray(at + 4, at + len);
      at += (len + 3) & ~3;
    }
    return undefined;
  };

  it.each([
    [4, 0, '00000000'],
    [4, 1, '80000000'],
    [4, 16, 'ffff0000'],
    [4, 31, 'fffffffe'],
    [6, 64, '40000000'],
    [6, 48, '30000000'],
  ] as const)('IPv%i persistence netmask /%i is %s', (family, netmask, bytes) => {
    const service =
      family === 4
        ? { ...TCP4, persistence: { timeout: 60, netmask } }
        : { protocol: 'tcp' as const, address: '2001:db8::1', port: 80, persistence: { timeout: 60, netmask } };
    expect(hexOf(find(serviceAttr({ op: 'add-service', service }), 9))).toBe(bytes);
  });

  it('encodes an IPv6 fwmark service with AF_INET6 and the /128 default', () => {
    const attrs = serviceAttr({ op: 'add-service', service: { fwmark: 0x01020304, family: 6 } });
    expect(hexOf(find(attrs, 1))).toBe('0a00');
    expect(hexOf(find(attrs, 5))).toBe('04030201');
    expect(hexOf(find(attrs, 9))).toBe('80000000');
    expect(find(attrs, 3)).toBeUndefined();
  });

  it('marks an IPv6 real server behind an IPv4 service with AF_INET6', () => {
    const req = operationRequest(
      {
        op: 'add-destination',
        service: TCP4,
        destination: { address: '2001:db8::5', port: 80, forwarding: 'tun' },
      },
      G.FAMILY_ID,
      '',
    );
    const dest = find(encodeGenl(req, 1).subarray(20), 2) as Buffer;
    expect(hexOf(find(dest, 1))).toBe('20010db8000000000000000000000005');
    expect(hexOf(find(dest, 11))).toBe('0a00');
    expect(hexOf(find(dest, 3))).toBe('02000000');
    // No tunnel options given: no TUN_* attributes (the kernel defaults to ipip).
    expect(find(dest, 13)).toBeUndefined();
  });

  it('encodes gre with csum as TUN_TYPE 2 and no TUN_PORT', () => {
    const req = operationRequest(
      {
        op: 'add-destination',
        service: TCP4,
        destination: { address: '203.0.113.5', port: 80, forwarding: 'tun', tunnel: { type: 'gre', checksum: 'csum' } },
      },
      G.FAMILY_ID,
      '',
    );
    const dest = find(encodeGenl(req, 1).subarray(20), 2) as Buffer;
    expect(hexOf(find(dest, 13))).toBe('02');
    expect(find(dest, 14)).toBeUndefined();
    expect(hexOf(find(dest, 15))).toBe('0100');
  });

  it('encodes an IPv6 multicast group as MCAST_GROUP6', async () => {
    const { transport, client } = await openClient();
    await client.startDaemon({ state: 'backup', interface: 'eth1', syncId: 0, group: 'ff15::db8:0:1' });
    const daemon = find((transport.sent.at(-1) as Buffer).subarray(20), 3) as Buffer;
    expect(hexOf(find(daemon, 1))).toBe('02000000');
    expect(hexOf(find(daemon, 6))).toBe('ff1500000000000000000db800000001');
    expect(find(daemon, 5)).toBeUndefined();
  });
});

// ---- decoding: replies shaped as net/netfilter/ipvs/ip_vs_ctl.c builds them ----

const IPVS_CMD_NEW_SERVICE = 1;
const IPVS_CMD_NEW_DEST = 5;
const IPVS_CMD_NEW_DAEMON = 9;
const IPVS_CMD_SET_CONFIG = 12;
const IPVS_CMD_SET_INFO = 14;

/** ip_vs_genl_fill_stats: 32-bit counters except the byte counts. */
function stats32(v: number[]): Buffer {
  const [conns, inpkts, outpkts, inbytes, outbytes, cps, inpps, outpps, inbps, outbps] = v;
  return Buffer.concat([
    nla(1, le32(conns ?? 0)),
    nla(2, le32(inpkts ?? 0)),
    nla(3, le32(outpkts ?? 0)),
    nla(11, []), // IPVS_STATS_ATTR_PAD, as nla_put_u64_64bit adds where u64 alignment matters
    nla(4, le64(BigInt(inbytes ?? 0))),
    nla(5, le64(BigInt(outbytes ?? 0))),
    nla(6, le32(cps ?? 0)),
    nla(7, le32(inpps ?? 0)),
    nla(8, le32(outpps ?? 0)),
    nla(9, le32(inbps ?? 0)),
    nla(10, le32(outbps ?? 0)),
  ]);
}

function stats64(v: bigint[]): Buffer {
  return Buffer.concat(v.map((n, i) => nla(i + 1, le64(n))));
}

function tcpServiceAttrs(): Buffer[] {
  return [
    nla(1, le16(2)), // AF_INET
    nla(2, le16(6)),
    nla(3, inetAddr([192, 0, 2, 10])),
    nla(4, be16(80)),
    nla(6, cstr('rr')),
    nla(7, [0x03, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), // PERSISTENT | HASHED, mask
    nla(8, le32(300)),
    nla(9, [255, 255, 255, 0]),
    // The kernel sends both: STATS truncated to 32 bits, STATS64 whole.
    nest(10, stats32([5, 6, 7, 8_000_000_000, 9_000_000_000, 1, 2, 3, 4, 5])),
    nest(
      12,
      stats64([
        0x1_0000_0005n,
        0x2_0000_0006n,
        0x3_0000_0007n,
        8_000_000_000n,
        9_000_000_000n,
        11n,
        12n,
        13n,
        14n,
        15n,
      ]),
    ),
  ];
}

describe('decoding kernel replies', () => {
  it('decodes a service dump: STATS64 preferred, STATS alone on older kernels, fwmark', async () => {
    const { client } = await openClient(({ header: h }) => [
      genl(G.FAMILY_ID, IPVS_CMD_NEW_SERVICE, NLM_F_MULTI, h.seq, h.pid, nest(1, ...tcpServiceAttrs())),
      genl(
        G.FAMILY_ID,
        IPVS_CMD_NEW_SERVICE,
        NLM_F_MULTI,
        h.seq,
        h.pid,
        nest(
          1,
          nla(1, le16(10)), // AF_INET6
          nla(2, le16(17)),
          nla(3, Buffer.from('20010db8000000000000000000000010', 'hex')),
          nla(4, be16(53)),
          nla(6, cstr('sh')),
          nla(7, [0x1f, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), // PERSISTENT|HASHED|ONEPACKET|SCHED1|SCHED2
          nla(8, le32(60)),
          nla(9, le32(64)), // IPv6: a host-order prefix length
          // Byte counters are u64 even in the old STATS.
          nest(10, stats32([70_000, 80_000, 90_000, 6_000_000_000, 7_000_000_000, 6, 7, 8, 9, 10])),
        ),
      ),
      genl(
        G.FAMILY_ID,
        IPVS_CMD_NEW_SERVICE,
        NLM_F_MULTI,
        h.seq,
        h.pid,
        nest(
          1,
          nla(1, le16(2)),
          nla(5, le32(100)),
          nla(6, cstr('wrr')),
          nla(7, [0x02, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
          nla(8, le32(0)),
          nla(9, [255, 255, 255, 255]),
          nest(10, stats32([0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
          nest(12, stats64(new Array<bigint>(10).fill(0n))),
        ),
      ),
    ]);
    const services = await client.listServices();
    expect(services).toEqual<Service[]>([
      {
        protocol: 'tcp',
        address: '192.0.2.10',
        port: 80,
        scheduler: 'rr',
        family: 4,
        flags: 0x03,
        persistence: { timeout: 300, netmask: 24 },
        stats: {
          connections: 0x1_0000_0005n,
          inPackets: 0x2_0000_0006n,
          outPackets: 0x3_0000_0007n,
          inBytes: 8_000_000_000n,
          outBytes: 9_000_000_000n,
          connectionRate: 11,
          inPacketRate: 12,
          outPacketRate: 13,
          inByteRate: 14,
          outByteRate: 15,
        },
      },
      {
        protocol: 'udp',
        address: '2001:db8::10',
        port: 53,
        scheduler: 'sh',
        family: 6,
        flags: 0x1f,
        persistence: { timeout: 60, netmask: 64 },
        onePacket: true,
        schedulerFlags: { fallback: true, port: true },
        stats: {
          connections: 70_000n,
          inPackets: 80_000n,
          outPackets: 90_000n,
          inBytes: 6_000_000_000n,
          outBytes: 7_000_000_000n,
          connectionRate: 6,
          inPacketRate: 7,
          outPacketRate: 8,
          inByteRate: 9,
          outByteRate: 10,
        },
      },
      { fwmark: 100, family: 4, scheduler: 'wrr', flags: 0x02, stats: ZERO_STATS },
    ]);
    expect(services[2]).not.toHaveProperty('persistence');
    // Idle counters are one shared frozen object; counters in use are the entry's own.
    expect(Object.isFrozen(services[2]?.stats)).toBe(true);
    expect(Object.isFrozen(services[0]?.stats)).toBe(false);
    expect((await client.listServices())[2]?.stats).toBe(services[2]?.stats);
  });

  it('decodes the persistence engine name', async () => {
    const { client } = await openClient(({ header: h }) => [
      genl(
        G.FAMILY_ID,
        IPVS_CMD_NEW_SERVICE,
        0,
        h.seq,
        h.pid,
        nest(
          1,
          nla(1, le16(2)),
          nla(2, le16(17)),
          nla(3, inetAddr([198, 51, 100, 7])),
          nla(4, be16(5060)),
          nla(6, cstr('wlc')),
          nla(11, cstr('sip')),
          nla(7, [0x03, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
          nla(8, le32(3600)),
          nla(9, [255, 255, 255, 255]),
        ),
      ),
    ]);
    const service = await client.getService({ protocol: 'udp', address: '198.51.100.7', port: 5060 });
    expect(service).toMatchObject({
      protocol: 'udp',
      address: '198.51.100.7',
      port: 5060,
      persistenceEngine: 'sip',
      persistence: { timeout: 3600, netmask: 32 },
    });
  });

  it('decodes destinations: tunnel attributes, connection counters, mixed family', async () => {
    const { client } = await openClient(({ header: h }) => [
      genl(
        G.FAMILY_ID,
        IPVS_CMD_NEW_DEST,
        NLM_F_MULTI,
        h.seq,
        h.pid,
        nest(
          2,
          nla(1, inetAddr([203, 0, 113, 5])),
          nla(2, be16(80)),
          nla(3, le32(2)), // IP_VS_CONN_F_TUNNEL
          nla(4, le32(10)),
          nla(13, [1]), // TUN_TYPE gue
          nla(14, be16(6080)),
          nla(15, le16(1)), // csum
          nla(5, le32(500)),
          nla(6, le32(400)),
          nla(7, le32(12)),
          nla(8, le32(34)),
          nla(9, le32(5)),
          nla(11, le16(2)),
          nest(10, stats32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
          nest(12, stats64([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n])),
        ),
      ),
      genl(
        G.FAMILY_ID,
        IPVS_CMD_NEW_DEST,
        NLM_F_MULTI,
        h.seq,
        h.pid,
        nest(
          2,
          nla(1, Buffer.from('20010db8000000000000000000000005', 'hex')),
          nla(2, be16(80)),
          nla(3, le32(2)),
          nla(4, le32(0)),
          nla(13, [2]), // gre
          nla(14, be16(0)),
          nla(15, le16(0)),
          nla(5, le32(0)),
          nla(6, le32(0)),
          nla(7, le32(0)),
          nla(8, le32(0)),
          nla(9, le32(0)),
          nla(11, le16(10)), // an IPv6 real server behind the IPv4 service
        ),
      ),
      genl(
        G.FAMILY_ID,
        IPVS_CMD_NEW_DEST,
        NLM_F_MULTI,
        h.seq,
        h.pid,
        nest(
          2,
          nla(1, inetAddr([198, 51, 100, 20])),
          nla(2, be16(8080)),
          nla(3, le32(0)), // MASQ
          nla(4, le32(1)),
          nla(13, [0]), // the kernel sends TUN_TYPE for every destination
          nla(14, be16(0)),
          nla(15, le16(0)),
          nla(5, le32(0)),
          nla(6, le32(0)),
          nla(7, le32(1)),
          nla(8, le32(0)),
          nla(9, le32(0)),
          // no ADDR_FAMILY (kernels before 3.18): the service's family
        ),
      ),
    ]);
    const [tun, gre, nat, ...rest] = await client.listDestinations(TCP4);
    expect(rest).toEqual([]);
    expect(tun).toEqual({
      address: '203.0.113.5',
      port: 80,
      forwarding: 'tun',
      weight: 10,
      upperThreshold: 500,
      lowerThreshold: 400,
      family: 4,
      activeConnections: 12,
      inactiveConnections: 34,
      persistentConnections: 5,
      tunnel: { type: 'gue', port: 6080, checksum: 'csum' },
      stats: {
        connections: 1n,
        inPackets: 2n,
        outPackets: 3n,
        inBytes: 4n,
        outBytes: 5n,
        connectionRate: 6,
        inPacketRate: 7,
        outPacketRate: 8,
        inByteRate: 9,
        outByteRate: 10,
      },
    });
    expect(gre).toMatchObject({
      address: '2001:db8::5',
      family: 6,
      weight: 0,
      tunnel: { type: 'gre', checksum: 'none' },
    });
    expect(gre?.tunnel).not.toHaveProperty('port');
    expect(nat).toMatchObject({
      address: '198.51.100.20',
      port: 8080,
      forwarding: 'nat',
      family: 4,
      activeConnections: 1,
    });
    expect(nat).not.toHaveProperty('tunnel');
    expect(nat?.stats).toEqual(ZERO_STATS);
  });

  it('decodes sync daemons (IPv4 and IPv6 groups, host-order port)', async () => {
    const { client } = await openClient(({ header: h }) => [
      genl(
        G.FAMILY_ID,
        IPVS_CMD_NEW_DAEMON,
        NLM_F_MULTI,
        h.seq,
        h.pid,
        nest(
          3,
          nla(1, le32(1)),
          nla(2, cstr('eth0')),
          nla(3, le32(7)),
          nla(4, le16(1472)),
          nla(7, le16(8848)),
          nla(8, [2]),
          nla(5, [233, 252, 0, 1]),
        ),
      ),
      genl(
        G.FAMILY_ID,
        IPVS_CMD_NEW_DAEMON,
        NLM_F_MULTI,
        h.seq,
        h.pid,
        nest(
          3,
          nla(1, le32(2)),
          nla(2, cstr('eth1')),
          nla(3, le32(0)),
          nla(4, le16(1500)),
          nla(7, le16(8848)),
          nla(8, [1]),
          nla(6, Buffer.from('ff1500000000000000000db800000001', 'hex')),
        ),
      ),
    ]);
    expect(await client.listDaemons()).toEqual([
      { state: 'master', interface: 'eth0', syncId: 7, maxLength: 1472, port: 8848, ttl: 2, group: '233.252.0.1' },
      { state: 'backup', interface: 'eth1', syncId: 0, maxLength: 1500, port: 8848, ttl: 1, group: 'ff15::db8:0:1' },
    ]);
  });

  it('decodes IPVS info: version 0x010201 is 1.2.1', async () => {
    const { client } = await openClient(({ header: h }) => [
      genl(G.FAMILY_ID, IPVS_CMD_SET_INFO, 0, h.seq, h.pid, nla(1, le32(0x010201)), nla(2, le32(4096))),
    ]);
    expect(await client.info()).toEqual({ version: '1.2.1', versionCode: 0x010201, connectionTableSize: 4096 });
  });

  it('decodes timeouts', async () => {
    const { client } = await openClient(({ header: h }) => [
      genl(G.FAMILY_ID, IPVS_CMD_SET_CONFIG, 0, h.seq, h.pid, nla(4, le32(900)), nla(5, le32(120)), nla(6, le32(300))),
    ]);
    expect(await client.getTimeouts()).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });

  it('list() dumps the services, then the destinations of each by its own key', async () => {
    const keys: string[] = [];
    const { client } = await openClient(({ header: h, bytes, cmd }) => {
      if (cmd === 4) {
        return [
          genl(G.FAMILY_ID, IPVS_CMD_NEW_SERVICE, NLM_F_MULTI, h.seq, h.pid, nest(1, ...tcpServiceAttrs())),
          genl(
            G.FAMILY_ID,
            IPVS_CMD_NEW_SERVICE,
            NLM_F_MULTI,
            h.seq,
            h.pid,
            nest(1, nla(1, le16(10)), nla(5, le32(100)), nla(6, cstr('rr')), nla(7, [2, 0, 0, 0, 255, 255, 255, 255])),
          ),
        ];
      }
      // GET_DEST: remember the service key it carries, answer one destination for the TCP service.
      const key = bytes.subarray(20).toString('hex');
      keys.push(key);
      if (key !== hexOf(G.SERVICE_KEY_TCP4_ATTR)) return [];
      return [
        genl(
          G.FAMILY_ID,
          IPVS_CMD_NEW_DEST,
          NLM_F_MULTI,
          h.seq,
          h.pid,
          nest(2, nla(1, inetAddr([198, 51, 100, 20])), nla(2, be16(80)), nla(3, le32(3)), nla(4, le32(2))),
        ),
      ];
    });
    const table = await client.list();
    expect(table.map((s) => [s.fwmark ?? s.address, s.family, s.destinations.map((d) => d.address)])).toEqual([
      ['192.0.2.10', 4, ['198.51.100.20']],
      [100, 6, []],
    ]);
    expect(table[0]?.destinations[0]).toMatchObject({ forwarding: 'dr', weight: 2, port: 80 });
    // The fwmark service is asked for by AF_INET6 + FWMARK 100.
    expect(keys).toEqual([hexOf(G.SERVICE_KEY_TCP4_ATTR), '14000180060001000a0000000800050064000000']);
  });

  it('uses the family id the kernel gave', async () => {
    const transport = fakeKernel(0x2f);
    const client = await IpvsClient.open({ transport });
    await client.flush();
    expect(header(transport.sent.at(-1) as Buffer).type).toBe(0x2f);
  });

  it('acknowledges with the same ack message the kernel would send for a "do" request', () => {
    // Guards the fixture: an ack is NLMSG_ERROR with error 0 and the request's seq.
    const a = ack(9, G.PORT);
    expect(header(a)).toMatchObject({ type: 2, seq: 9, pid: G.PORT });
    expect(a.readInt32LE(16)).toBe(0);
  });
});
