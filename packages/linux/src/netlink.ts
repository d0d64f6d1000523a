import { RawNetlinkSocket } from 'netlink';

/*
 * The `netlink` package (0.3.0, the design's choice) and its gaps, worked around here and
 * nowhere else (docs/toolchain.md lists them):
 * - its errors carry the errno only in their message;
 * - its requests have no default timeout;
 * - its rtnetlink socket cannot tell the replies of two dumps in flight apart;
 * - a socket opens only in the calling process's network namespace;
 * - it reports a datagram cut short by a small buffer as an event, not as an error.
 * Nested attributes (IPVS's service and destination) it does not encode at all: @sluice/ipvs
 * has its own codec, checked against golden bytes, and uses only the raw socket.
 */

/** How long a request may wait for the kernel: a request never answered must not hang a failover. */
export const NETLINK_REQUEST_TIMEOUT_MS = 2000;

/** The errno name of a `netlink` error ("Request rejected: EEXIST"), or undefined. */
export function netlinkErrno(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  // A later version may give errors a code; take it when it is an errno name.
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  return /Request rejected: (E[A-Z0-9]+)/.exec(error.message)?.[1];
}

/**
 * One promise for work that must not run twice at once (a dump on a socket that cannot
 * tell two dumps' replies apart): callers while it runs share it; the next call after it
 * settles starts it again.
 */
export function singleFlight<T>(work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    running ??= work().finally(() => {
      running = undefined;
    });
    return running;
  };
}

export interface RawSocketOptions {
  /** SO_RCVBUF / SO_SNDBUF in bytes (capped by net.core.rmem_max / wmem_max). */
  bufferBytes: number;
  /**
   * Peek at each datagram's size and read it into a buffer of exactly that size: a system
   * call more, but no fixed 64 KiB buffer per datagram for the garbage collector.
   */
  messagePeeking?: boolean;
}

/** What a raw socket reports besides datagrams. */
export interface RawSocketEvents {
  error(error: Error): void;
  /** A datagram was cut short (the buffer was too small): what it held is lost. */
  truncated(): void;
}

/** A raw netlink socket of `protocol` in this process's namespace. Unref'd: it does not keep Node alive. */
export function openRawNetlink(protocol: number, options: RawSocketOptions, events: RawSocketEvents): RawNetlinkSocket {
  const socket = new RawNetlinkSocket(protocol, {
    recvBufferSize: options.bufferBytes,
    sendBufferSize: options.bufferBytes,
    ...(options.messagePeeking ? { messagePeeking: true } : {}),
  });
  socket.on('error', (error) => events.error(error));
  socket.on('truncatedMessage', () => events.truncated());
  socket.unref();
  return socket;
}

/**
 * The program of a worker that holds a raw netlink socket inside another network
 * namespace (run as `ip netns exec NAME node -e SOURCE <path of netlink's entry>`: Node
 * cannot move a thread into a namespace, and the package opens sockets only where it runs).
 * Frames on its stdout are [tag u8][length u32 LE][bytes]: P = its port (u32), D = a
 * datagram, E = an error text; on its stdin [length u32 LE][datagram] to send.
 */
export function netnsWorkerSource(protocol: number, options: RawSocketOptions): string {
  const socketOptions = {
    recvBufferSize: options.bufferBytes,
    sendBufferSize: options.bufferBytes,
    ...(options.messagePeeking ? { messagePeeking: true } : {}),
  };
  return `
const { RawNetlinkSocket } = require(process.argv[1]);
const sock = new RawNetlinkSocket(${Number(protocol)}, ${JSON.stringify(socketOptions)});
const frame = (tag, body) => { const h = Buffer.alloc(5); h.write(tag, 0); h.writeUInt32LE(body.length, 1); process.stdout.write(Buffer.concat([h, body])); };
sock.on('truncatedMessage', () => frame('E', Buffer.from('a netlink datagram was truncated')));
const port = Buffer.alloc(4); port.writeUInt32LE(sock.address().port); frame('P', port);
sock.on('message', (m) => frame('D', m));
sock.on('error', (e) => frame('E', Buffer.from(String(e && e.message))));
let pending = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 4) {
    const len = pending.readUInt32LE(0);
    if (pending.length < 4 + len) break;
    sock.send(pending.subarray(4, 4 + len), {}, (e) => { if (e) frame('E', Buffer.from(String(e.message))); });
    pending = pending.subarray(4 + len);
  }
});
process.stdin.on('end', () => process.exit(0));
`;
}
