import { createRequire } from 'node:module';
import { errnoName, IpvsError } from '../errors.js';
import { NETLINK_GENERIC } from './message.js';

/**
 * A generic netlink socket driven by direct system calls (libc through koffi), for dumps.
 *
 * The kernel answers a generic netlink request while it handles the send: by the time
 * send(2) returns, the first part of a dump is queued on the socket, and each read of a
 * dump's part runs the next round of the dump inside that read. So a dump never has to
 * wait: one send(2) and one recvmmsg(2), which reads the data and the NLMSG_DONE that the
 * first read produced, end it. The `netlink` package instead waits for the event loop
 * to report the socket writable and then readable, and peeks at each datagram before
 * reading it: about 14 system calls a dump against these 2 (a dump per service is the
 * only way IPVS lists real servers, so this count is what a full table costs).
 *
 * Everything here is non-blocking; a read that finds nothing reports it and the caller
 * decides whether to wait (see DirectDumps).
 */

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_SNDBUF = 7;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const EAGAIN = 11;
const EINTR = 4;

/** Datagrams read by one recvmmsg(2): the kernel makes dump parts of at most 32 KiB. */
const SLOTS = 8;
const SLOT_BYTES = 64 * 1024;
// struct mmsghdr on LP64: struct msghdr (56 bytes) + msg_len (u32) + padding; struct iovec: 16.
const MMSGHDR_BYTES = 64;
const IOVEC_BYTES = 16;
const MSG_IOV = 16;
const MSG_IOVLEN = 24;
const MSG_FLAGS = 48;
const MSG_LEN = 56;

type Pointer = object;

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => number };
  alloc(type: string, count: number): Pointer;
  free(pointer: Pointer): void;
  view(pointer: Pointer, length: number): ArrayBuffer;
  address(pointer: Pointer): bigint;
  errno(): number;
}

interface Libc {
  koffi: Koffi;
  socket(domain: number, type: number, protocol: number): number;
  send(fd: number, buf: Buffer, length: number, flags: number): number;
  recvmmsg(fd: number, headers: Pointer, vlen: number, flags: number, timeout: null): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  close(fd: number): number;
}

let libc: Libc | Error | undefined;

/** libc, loaded on first use; an Error when this platform cannot have it. */
function loadLibc(): Libc | Error {
  if (libc !== undefined) return libc;
  try {
    if (process.platform !== 'linux') throw new Error(`not Linux (${process.platform})`);
    // The message headers below are laid out for 64-bit little-endian Linux.
    if (process.arch !== 'x64' && process.arch !== 'arm64') throw new Error(`unsupported architecture ${process.arch}`);
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const lib = koffi.load('libc.so.6');
    libc = {
      koffi,
      socket: lib.func('int socket(int, int, int)'),
      send: lib.func('intptr_t send(int, void *, uintptr_t, int)'),
      recvmmsg: lib.func('int recvmmsg(int, void *, unsigned int, int, void *)'),
      setsockopt: lib.func('int setsockopt(int, int, int, void *, uint32_t)'),
      close: lib.func('int close(int)'),
    } as Libc;
  } catch (error) {
    libc = error instanceof Error ? error : new Error(String(error));
  }
  return libc;
}

/** Why direct sockets cannot be had here, or undefined when they can. */
export function directSocketUnavailable(): string | undefined {
  const loaded = loadLibc();
  return loaded instanceof Error ? loaded.message : undefined;
}

export class DirectSocket {
  private readonly lib: Libc;
  private fd: number;
  private readonly data: Pointer;
  private readonly headers: Pointer;
  private readonly bytes: Buffer;
  private readonly meta: DataView;

  private constructor(lib: Libc, fd: number) {
    this.lib = lib;
    this.fd = fd;
    const { koffi } = lib;
    this.data = koffi.alloc('uint8_t', SLOTS * SLOT_BYTES);
    this.headers = koffi.alloc('uint8_t', SLOTS * (MMSGHDR_BYTES + IOVEC_BYTES));
    this.bytes = Buffer.from(koffi.view(this.data, SLOTS * SLOT_BYTES));
    this.meta = new DataView(koffi.view(this.headers, SLOTS * (MMSGHDR_BYTES + IOVEC_BYTES)));
    const dataAt = koffi.address(this.data);
    const headersAt = koffi.address(this.headers);
    for (let i = 0; i < SLOTS; i++) {
      const iov = SLOTS * MMSGHDR_BYTES + i * IOVEC_BYTES;
      this.meta.setBigUint64(iov, dataAt + BigInt(i * SLOT_BYTES), true);
      this.meta.setBigUint64(iov + 8, BigInt(SLOT_BYTES), true);
      this.meta.setBigUint64(i * MMSGHDR_BYTES + MSG_IOV, headersAt + BigInt(iov), true);
      this.meta.setBigUint64(i * MMSGHDR_BYTES + MSG_IOVLEN, 1n, true);
    }
  }

  /** A new socket in this process's network namespace; IPVS_TRANSPORT when it cannot be had. */
  static open(bufferBytes: number): DirectSocket {
    const lib = loadLibc();
    if (lib instanceof Error) {
      throw new IpvsError('IPVS_TRANSPORT', `direct netlink sockets are not available: ${lib.message}`, {
        cause: lib,
      });
    }
    const fd = lib.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (fd < 0) throw systemError('socket', lib.koffi.errno());
    const size = Buffer.alloc(4);
    size.writeInt32LE(bufferBytes);
    // Best effort, as the `netlink` package does: the kernel caps both at net.core.*mem_max.
    lib.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4);
    lib.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, size, 4);
    return new DirectSocket(lib, fd);
  }

  /**
   * Sends one datagram to the kernel. The port in the messages may be 0: the kernel
   * addresses its answers to the socket that sent, whatever the header says.
   */
  send(datagram: Buffer): void {
    if (this.fd < 0) throw new IpvsError('IPVS_TRANSPORT', 'connection closed');
    for (;;) {
      const sent = this.lib.send(this.fd, datagram, datagram.length, 0);
      if (sent === datagram.length) return;
      const errno = sent < 0 ? this.lib.koffi.errno() : 0;
      if (errno === EINTR) continue;
      throw sent < 0
        ? systemError('send', errno)
        : new IpvsError('IPVS_TRANSPORT', `send wrote ${sent} of ${datagram.length} bytes`);
    }
  }

  /**
   * Reads the datagrams queued now, without waiting, and hands each to `receive` as a
   * view that is valid only during the call. Returns how many were read (0: none queued).
   */
  read(receive: (datagram: Buffer) => void): number {
    if (this.fd < 0) throw new IpvsError('IPVS_TRANSPORT', 'connection closed');
    let count: number;
    do count = this.lib.recvmmsg(this.fd, this.headers, SLOTS, MSG_DONTWAIT, null);
    while (count < 0 && this.lib.koffi.errno() === EINTR);
    if (count < 0) {
      const errno = this.lib.koffi.errno();
      if (errno === EAGAIN) return 0;
      throw systemError('recvmmsg', errno);
    }
    for (let i = 0; i < count; i++) {
      const header = i * MMSGHDR_BYTES;
      if (this.meta.getUint32(header + MSG_FLAGS, true) & MSG_TRUNC) {
        throw new IpvsError('IPVS_PROTOCOL', 'a netlink datagram was truncated');
      }
      const start = i * SLOT_BYTES;
      receive(this.bytes.subarray(start, start + this.meta.getUint32(header + MSG_LEN, true)));
    }
    return count;
  }

  close(): void {
    if (this.fd < 0) return;
    this.lib.close(this.fd);
    this.fd = -1;
    this.lib.koffi.free(this.data);
    this.lib.koffi.free(this.headers);
  }
}

function systemError(call: string, errno: number): IpvsError {
  return new IpvsError('IPVS_TRANSPORT', `${call} on a netlink socket failed: ${errnoName(errno)}`, { errno });
}
