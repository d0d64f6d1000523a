/**
 * The frame helper: a small Node process that only opens AF_PACKET sockets (libc through
 * koffi: Node has no packet sockets) and writes the frames it is given. A process of its
 * own so that it can run inside a named network namespace (`ip netns exec`), where a packet
 * socket must be opened to reach that namespace's interfaces. Protocol: it prints "ready"
 * once, then reads "<ifname> <hex>" lines and answers "ok" or "error <reason>" for each.
 */
import { createInterface } from 'node:readline';
import { errnoName, libcLoader, requireLp64, SOCK_CLOEXEC, SOCK_RAW } from '@sluice/linux';

/** socket(2)'s packet family, and the size of `struct sockaddr_ll` (family, protocol, ifindex, ...). */
const AF_PACKET = 17;
const SOCKADDR_LL_BYTES = 20;

interface PacketLibc {
  errno(): number;
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: Buffer, length: number): number;
  send(fd: number, buf: Buffer, length: number, flags: number): number;
  ifNameToIndex(name: string): number;
  close(fd: number): number;
}

const loadLibc = libcLoader((koffi, lib) => {
  requireLp64();
  return {
    errno: () => koffi.errno(),
    socket: lib.func('int socket(int, int, int)'),
    bind: lib.func('int bind(int, void *, uint32_t)'),
    send: lib.func('intptr_t send(int, void *, uintptr_t, int)'),
    ifNameToIndex: lib.func('unsigned int if_nametoindex(const char *)'),
    close: lib.func('int close(int)'),
  } as PacketLibc;
});

const failed = (call: string, libc: PacketLibc) => new Error(`${call}: ${errnoName(libc.errno())}`);

/** A raw packet socket bound to `ifname` (protocol 0: it sends, it receives nothing). */
function openSocket(libc: PacketLibc, ifname: string): number {
  const index = libc.ifNameToIndex(ifname);
  if (index === 0) throw failed(`if_nametoindex ${ifname}`, libc);
  const fd = libc.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) throw failed('socket AF_PACKET', libc);
  const address = Buffer.alloc(SOCKADDR_LL_BYTES);
  address.writeUInt16LE(AF_PACKET, 0);
  address.writeInt32LE(index, 4);
  if (libc.bind(fd, address, address.length) < 0) {
    const error = failed(`bind ${ifname}`, libc);
    libc.close(fd);
    throw error;
  }
  return fd;
}

function main(): void {
  const libc = loadLibc();
  if (libc instanceof Error) {
    process.stderr.write(`frame helper: ${libc.message}\n`);
    process.exit(1);
  }
  const sockets = new Map<string, number>();
  process.stdout.write('ready\n');
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [ifname = '', hex = ''] = line.trim().split(' ');
    try {
      let fd = sockets.get(ifname);
      if (fd === undefined) {
        fd = openSocket(libc, ifname);
        sockets.set(ifname, fd);
      }
      const frame = Buffer.from(hex, 'hex');
      if (libc.send(fd, frame, frame.length, 0) !== frame.length) {
        // The interface may have gone and come back: the next frame opens a new socket.
        sockets.delete(ifname);
        libc.close(fd);
        throw failed(`send on ${ifname}`, libc);
      }
      process.stdout.write('ok\n');
    } catch (error) {
      process.stdout.write(`error ${(error as Error).message.replaceAll('\n', ' ')}\n`);
    }
  });
}

main();
