// The floor under any full dump through the `netlink` package: the same GET_DEST dumps as
// list(), on the same number of sockets, with nothing decoded and nothing kept (messages
// are only counted). Whatever list() costs above this is ours; this part is the kernel's
// API (a dump per service, each ending in a second round) and the socket's receive path.
// Runs inside the bench's kernel, in a namespace holding the bench table (TCP, IPv4).
// Prints one JSON line: { ms, services, destinations, datagrams }.
import { performance } from 'node:perf_hooks';
import { RawNetlinkSocket } from 'netlink';

const SOCKETS = Number(process.env.BENCH_DUMP_SOCKETS ?? 4);
const GENL_ID_CTRL = 0x10;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const REQUEST_DUMP = 0x301; // NLM_F_REQUEST | NLM_F_DUMP
const GET_SERVICE = 4;
const GET_DEST = 8;
const NESTED = 0x8000;

const open = () => new RawNetlinkSocket(16, { recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });

function header(buf, flags, seq, port, family, cmd) {
  buf.writeUInt32LE(buf.length, 0);
  buf.writeUInt16LE(family, 4);
  buf.writeUInt16LE(flags, 6);
  buf.writeUInt32LE(seq, 8);
  buf.writeUInt32LE(port, 12);
  buf.writeUInt8(cmd, 16);
  buf.writeUInt8(1, 17);
  return buf;
}

/** Every message of a request, up to its NLMSG_DONE (or its ack). */
function exchange(sock, request) {
  return new Promise((resolve, reject) => {
    const messages = [];
    const onMessage = (datagram) => {
      for (let at = 0; at + 16 <= datagram.length; ) {
        const len = datagram.readUInt32LE(at);
        const type = datagram.readUInt16LE(at + 4);
        const payload = datagram.subarray(at + 16, at + len);
        at += (len + 3) & ~3;
        if (type === NLMSG_ERROR || type === NLMSG_DONE) {
          sock.off('message', onMessage);
          const errno = -payload.readInt32LE(0);
          if (errno) reject(new Error(`errno ${errno}`));
          else resolve(messages);
          return;
        }
        messages.push(payload);
      }
    };
    sock.on('message', onMessage);
    sock.send(request);
  });
}

const main = open();
const port = main.address().port;
// CTRL_CMD_GETFAMILY "IPVS", acknowledged.
const name = Buffer.from('IPVS\0');
const getFamily = header(Buffer.alloc(20 + 4 + 8), 0x5, 1, port, GENL_ID_CTRL, 3);
getFamily.writeUInt16LE(4 + name.length, 20);
getFamily.writeUInt16LE(2, 22);
name.copy(getFamily, 24);
const [familyReply] = await exchange(main, getFamily);
let family = 0;
for (let at = 4; at + 4 <= familyReply.length; ) {
  const len = familyReply.readUInt16LE(at);
  if (familyReply.readUInt16LE(at + 2) === 1) family = familyReply.readUInt16LE(at + 4);
  at += (len + 3) & ~3;
}

const start = performance.now();
// The services' keys, copied as they come (AF, PROTOCOL, ADDR, PORT attributes).
const services = (await exchange(main, header(Buffer.alloc(20), REQUEST_DUMP, 2, port, family, GET_SERVICE))).map(
  (payload) => {
    const key = [];
    const svc = payload.subarray(8, 4 + payload.readUInt16LE(4));
    for (let at = 0; at + 4 <= svc.length; ) {
      const len = svc.readUInt16LE(at);
      if (svc.readUInt16LE(at + 2) <= 4) key.push(svc.subarray(at, at + ((len + 3) & ~3)));
      at += (len + 3) & ~3;
    }
    return Buffer.concat(key);
  },
);
let next = 0;
let destinations = 0;
let datagrams = 0;
const lane = async (sock) => {
  sock.on('message', () => datagrams++);
  const lanePort = sock.address().port;
  while (next < services.length) {
    const key = services[next++];
    const request = header(Buffer.alloc(24 + key.length), REQUEST_DUMP, next + 10, lanePort, family, GET_DEST);
    request.writeUInt16LE(4 + key.length, 20);
    request.writeUInt16LE(1 | NESTED, 22);
    key.copy(request, 24);
    const messages = await exchange(sock, request);
    destinations += messages.length;
  }
};
await Promise.all([main, ...Array.from({ length: SOCKETS - 1 }, open)].map(lane));
console.log(JSON.stringify({ ms: performance.now() - start, services: services.length, destinations, datagrams }));
process.exit(0);
