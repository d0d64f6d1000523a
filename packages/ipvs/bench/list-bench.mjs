// What list() costs this package, outside any kernel: a fake kernel in this process
// answers GET_SERVICE and GET_DEST dumps with the bytes IPVS 6.1 sends (every attribute,
// STATS and STATS64, datagrams of at most one page, NLMSG_DONE in a datagram of its own),
// each datagram on a later turn of the event loop. Run after a build:
// `node bench/list-bench.mjs`. Prints list() cold (first call of the process) and warm,
// garbage collections, and the heap the table holds.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { IpvsClient } from '../dist/index.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 10_000);
const DESTS = Number(process.env.BENCH_DESTS ?? 10);
const SOCKETS = Number(process.env.BENCH_DUMP_SOCKETS ?? 4);
const FAMILY = 28;
const PAGE = 3776; // NLMSG_GOODSIZE with 4 KiB pages: the kernel's dump datagram size

const nla = (type, payload) => {
  const b = Buffer.alloc((4 + payload.length + 3) & ~3);
  b.writeUInt16LE(4 + payload.length, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
};
const u8 = (n) => Buffer.of(n);
const u16 = (n) => Buffer.from(Uint16Array.of(n).buffer);
const u32 = (n) => Buffer.from(Uint32Array.of(n).buffer);
const u64 = (n) => Buffer.from(BigUint64Array.of(BigInt(n)).buffer);
const be16 = (n) => Buffer.of(n >> 8, n & 255);
const addr = (a) => Buffer.concat([Buffer.from(a.split('.').map(Number)), Buffer.alloc(12)]);
const stats = (n) =>
  Buffer.concat([
    nla(
      10,
      Buffer.concat(
        [1, 2, 3]
          .map((t) => nla(t, u32(n)))
          .concat([4, 5].map((t) => nla(t, u64(n * 100))))
          .concat([6, 7, 8, 9, 10].map((t) => nla(t, u32(0)))),
      ),
    ),
    nla(12, Buffer.concat([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((t) => nla(t, u64(t < 4 ? n : t < 6 ? n * 100 : 0))))),
  ]);
const msg = (type, flags, seq, port, payload) => {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + payload.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq, 8);
  h.writeUInt32LE(port, 12);
  return Buffer.concat([h, payload]);
};
const genl = (cmd, seq, port, ...attrs) =>
  msg(FAMILY, 2, seq, port, Buffer.concat([Buffer.of(cmd, 1, 0, 0), ...attrs]));

// Every dump's datagrams are built once, as one buffer per dump; a request gets a copy
// with its sequence number and port, as the kernel copies into the reader's buffer.
function datagramsOf(cmd, payloads) {
  const out = [];
  let current = [];
  let size = 0;
  for (const p of payloads) {
    const m = genl(cmd, 0, 0, p);
    if (size + m.length > PAGE) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += m.length;
  }
  if (current.length) out.push(current);
  out.push([msg(3, 2, 0, 0, u32(0))]);
  // One buffer, and where each datagram and message starts in it.
  const bytes = Buffer.concat(out.flat());
  const datagrams = [];
  let at = 0;
  for (const d of out) {
    const starts = [];
    const start = at;
    for (const m of d) {
      starts.push(at - start);
      at += m.length;
    }
    datagrams.push({ start, end: at, starts });
  }
  return { bytes, datagrams };
}
const serviceAttrs = [];
const destDumps = new Map();
for (let i = 0; i < SERVICES; i++) {
  const address = `192.0.2.${(i % 250) + 1}`;
  const port = 1000 + Math.floor(i / 250);
  serviceAttrs.push(
    nla(
      1,
      Buffer.concat([
        nla(1, u16(2)),
        nla(2, u16(6)),
        nla(3, addr(address)),
        nla(4, be16(port)),
        nla(6, Buffer.from('wlc\0')),
        nla(7, Buffer.concat([u32(2), u32(0xffffffff)])),
        nla(8, u32(0)),
        nla(9, u32(0xffffffff)),
        stats(i),
      ]),
    ),
  );
  const dests = [];
  for (let j = 0; j < DESTS; j++) {
    const d = `${j % 2 ? '203.0.113' : '198.51.100'}.${((Math.floor(i / 7) + j) % 250) + 1}`;
    dests.push(
      nla(
        2,
        Buffer.concat([
          nla(1, addr(d)),
          nla(2, be16(port)),
          nla(3, u32(2)),
          nla(4, u32(1)),
          nla(13, u8(0)),
          nla(14, be16(0)),
          nla(15, u16(0)),
          nla(5, u32(0)),
          nla(6, u32(0)),
          nla(7, u32(j)),
          nla(8, u32(0)),
          nla(9, u32(0)),
          nla(11, u16(2)),
          stats(j),
        ]),
      ),
    );
  }
  destDumps.set(`${address}:${port}`, datagramsOf(5, dests));
}
const serviceDump = datagramsOf(1, serviceAttrs);
serviceAttrs.length = 0;

class FakeIpvs {
  static ports = 100;
  port = FakeIpvs.ports++;
  procNet = '/nonexistent';
  send(datagram) {
    const seq = datagram.readUInt32LE(8);
    const type = datagram.readUInt16LE(4);
    if (type === 0x10) {
      // CTRL_CMD_GETFAMILY: family id, then the ack.
      const reply = msg(0x10, 0, seq, this.port, Buffer.concat([Buffer.of(1, 2, 0, 0), nla(1, u16(FAMILY))]));
      const ack = msg(2, 0x100, seq, this.port, Buffer.concat([u32(0), datagram.subarray(0, 16)]));
      return this.later([Buffer.concat([reply, ack])]);
    }
    const dump =
      datagram[16] === 4
        ? serviceDump
        : destDumps.get(`${datagram.subarray(44, 48).join('.')}:${datagram.readUInt16BE(datagram.length - 4)}`);
    this.later(
      dump.datagrams.map(({ start, end, starts }) => {
        const copy = Buffer.from(dump.bytes.subarray(start, end));
        for (const at of starts) {
          copy.writeUInt32LE(seq, at + 8);
          copy.writeUInt32LE(this.port, at + 12);
        }
        return copy;
      }),
    );
  }
  later(datagrams) {
    for (const d of datagrams) setImmediate(() => this.handler(d));
  }
  onMessage(handler) {
    this.handler = handler;
  }
  onError() {}
  close() {}
  openSibling() {
    return new FakeIpvs();
  }
}

let gcs = 0;
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcs++;
    gcMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

const client = await IpvsClient.open({ transport: new FakeIpvs(), dumpSockets: SOCKETS });
const run = async (label) => {
  const before = { gcs, gcMs };
  const start = performance.now();
  const table = await client.list();
  const ms = performance.now() - start;
  await new Promise((resolve) => setImmediate(resolve));
  const n = table.reduce((sum, s) => sum + s.destinations.length, 0);
  if (n !== SERVICES * DESTS) throw new Error(`listed ${n} destinations`);
  console.log(
    `${label}: ${ms.toFixed(0)} ms, ${gcs - before.gcs} GCs (${(gcMs - before.gcMs).toFixed(0)} ms), heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`,
  );
  return table;
};
console.log(`list() of ${SERVICES} services x ${DESTS} against a fake kernel, ${SOCKETS} dump sockets`);
await run('cold');
await run('warm');
client.close();
