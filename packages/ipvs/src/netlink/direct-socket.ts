import { AF_NETLINK, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_RAW, SOL_SOCKET } from '@sluice/linux';
import { errnoName, IpvsError } from '../errors.js';
import { EAGAIN, EINTR, type Libc, loadLibc, type Pointer } from '../native/libc.js';
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

const SO_RCVBUF = 8;
const SO_SNDBUF = 7;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;

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
    this.data = lib.alloc(SLOTS * SLOT_BYTES);
    this.headers = lib.alloc(SLOTS * (MMSGHDR_BYTES + IOVEC_BYTES));
    this.bytes = lib.view(this.data, SLOTS * SLOT_BYTES);
    const headers = lib.view(this.headers, SLOTS * (MMSGHDR_BYTES + IOVEC_BYTES));
    this.meta = new DataView(headers.buffer, headers.byteOffset, headers.byteLength);
    const dataAt = lib.address(this.data);
    const headersAt = lib.address(this.headers);
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
    if (fd < 0) throw systemError('socket', lib.errno());
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
      const errno = sent < 0 ? this.lib.errno() : 0;
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
    while (count < 0 && this.lib.errno() === EINTR);
    if (count < 0) {
      const errno = this.lib.errno();
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
    this.lib.free(this.data);
    this.lib.free(this.headers);
  }
}

function systemError(call: string, errno: number): IpvsError {
  return new IpvsError('IPVS_TRANSPORT', `${call} on a netlink socket failed: ${errnoName(errno)}`, { errno });
}
