import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { AF_INET, AF_INET6, libcLoader, SOCK_CLOEXEC, SOCK_DGRAM } from '@sluice/linux';
import { HealthError } from '../errors.js';
import { type CheckResult, fail, pass } from '../result.js';

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const EACCES = 13;

interface Pending {
  address: string;
  token: Buffer;
  sentAt: number;
  resolve: (result: CheckResult) => void;
}

type OpenSocket = (family: 4 | 6) => Promise<number>;

const loadLibc = libcLoader((koffi, lib) => ({
  socket: lib.func('int socket(int, int, int)'),
  errno: () => koffi.errno(),
}));

/**
 * Opens a Linux ICMP datagram ("ping") socket through libc's socket(2): Node has no API for
 * one. It needs no CAP_NET_RAW, only the process's group within
 * `net.ipv4.ping_group_range` (Debian sets "0 2147483647"). The FFI library is loaded on
 * the first ping, so users who never ping never load it.
 */
export const openIcmpSocket: OpenSocket = async (family) => {
  const libc = loadLibc();
  if (libc instanceof Error) throw libc;
  const fd = libc.socket(
    family === 4 ? AF_INET : AF_INET6,
    SOCK_DGRAM | SOCK_CLOEXEC,
    family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
  );
  if (fd < 0) {
    const errno = libc.errno();
    const hint =
      errno === EACCES ? ': this process group is outside net.ipv4.ping_group_range (set it, e.g. "0 2147483647")' : '';
    throw new HealthError(
      'HEALTH_CHECK_FAILED_TO_START',
      `cannot open an ICMPv${family} socket (errno ${errno})${hint}`,
    );
  }
  return fd;
};

/** RFC 5952 text, as the kernel reports the peer, so replies match the address asked. */
function canonical(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

/**
 * ICMP echo for any number of targets over one socket per address family: libuv polls
 * it like any UDP socket, so a ping costs no process and no thread. The kernel sets the
 * echo identifier (the socket's "port"); replies are matched by sequence number, peer
 * address and a random payload.
 */
export class Pinger {
  private readonly sockets = new Map<4 | 6, Promise<Socket>>();
  private readonly pending = new Map<string, Pending>();
  private sequence = 0;

  constructor(private readonly open: OpenSocket = openIcmpSocket) {}

  ping(target: string, signal: AbortSignal): Promise<CheckResult> {
    const family = isIP(target) === 6 ? 6 : 4;
    const address = canonical(target);
    return this.socket(family).then(
      (socket) =>
        new Promise<CheckResult>((resolve) => {
          const seq = this.nextSequence(family);
          if (seq === undefined) {
            resolve(fail('error', 'too many echo requests in flight'));
            return;
          }
          const key = `${family}/${seq}`;
          const token = randomBytes(16);
          const finish = (result: CheckResult) => {
            if (this.pending.get(key)?.token !== token) return;
            this.pending.delete(key);
            signal.removeEventListener('abort', onAbort);
            resolve(result);
          };
          const onAbort = () => finish(fail('timeout', `no echo reply from ${target}`));
          if (signal.aborted) {
            resolve(fail('timeout', `no echo reply from ${target}`));
            return;
          }
          this.pending.set(key, { address, token, sentAt: performance.now(), resolve: finish });
          signal.addEventListener('abort', onAbort, { once: true });
          const packet = Buffer.alloc(8 + token.length);
          packet[0] = family === 4 ? 8 : 128; // echo request; the kernel fills id and checksum
          packet.writeUInt16BE(seq, 6);
          token.copy(packet, 8);
          // The port is ignored by ping sockets, but dgram wants one.
          socket.send(packet, 1, target, (error) => {
            if (error) finish(fail(classifySend(error), `${target}: ${error.message}`));
          });
        }),
    );
  }

  /** Closes the ICMP sockets; pending pings end as `timeout`. */
  async close(): Promise<void> {
    const sockets = [...this.sockets.values()];
    this.sockets.clear();
    for (const pending of [...this.pending.values()]) pending.resolve(fail('timeout', 'pinger closed'));
    for (const socket of sockets) {
      try {
        (await socket).close();
      } catch {
        // It never opened.
      }
    }
  }

  private nextSequence(family: 4 | 6): number | undefined {
    for (let i = 0; i < 65536; i++) {
      this.sequence = (this.sequence + 1) & 0xffff;
      if (!this.pending.has(`${family}/${this.sequence}`)) return this.sequence;
    }
    return undefined;
  }

  private socket(family: 4 | 6): Promise<Socket> {
    let socket = this.sockets.get(family);
    if (!socket) {
      socket = this.open(family).then(
        (fd) =>
          new Promise<Socket>((resolve, reject) => {
            const s = createSocket(family === 4 ? 'udp4' : 'udp6');
            s.once('error', reject);
            s.on('message', (msg, rinfo) => this.onReply(family, msg, rinfo.address));
            s.bind({ fd }, () => {
              s.off('error', reject);
              s.on('error', () => {
                // Per-send errors arrive in send callbacks; nothing to do here.
              });
              s.unref();
              resolve(s);
            });
          }),
      );
      // A failure to open is reported to every ping and retried on the next one.
      socket.catch(() => this.sockets.delete(family));
      this.sockets.set(family, socket);
    }
    return socket;
  }

  private onReply(family: 4 | 6, msg: Buffer, from: string): void {
    if (msg.length < 8 || msg[0] !== (family === 4 ? 0 : 129)) return;
    const pending = this.pending.get(`${family}/${msg.readUInt16BE(6)}`);
    if (!pending || pending.address !== from || !msg.subarray(8).equals(pending.token)) return;
    pending.resolve(pass({ detail: `echo reply from ${from}` }));
  }
}

function classifySend(error: Error): 'unreachable' | 'error' {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL' ? 'unreachable' : 'error';
}
