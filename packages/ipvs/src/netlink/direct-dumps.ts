import { setImmediate as nextTurn } from 'node:timers/promises';
import { IpvsError } from '../errors.js';
import { KernelError } from './connection.js';
import type { Dumper, ReplyVisitor } from './dump-pool.js';
import {
  type GenlRequest,
  genlSize,
  NLM_F_DUMP,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  type NlMessage,
  writeGenl,
} from './message.js';

/** The socket DirectDumps needs (a DirectSocket; a fake in tests). */
export interface DumpSocket {
  send(datagram: Buffer): void;
  /** Reads what is queued now, each datagram to `receive`; returns how many (0: none). */
  read(receive: (datagram: Buffer) => void): number;
  close(): void;
}

/** Dumps run back to back between two turns of the event loop. */
const DUMPS_PER_TURN = 32;

/**
 * Dumps on a DirectSocket, one at a time, each normally ended inside the call that starts
 * it (see DirectSocket). Replies are decoded where they were received: no message object
 * and no copy per reply. A dump whose answer is not queued yet (the receive buffer was
 * full, say) is waited for turn by turn of the event loop until its timeout; a socket
 * whose dump timed out may still have that dump running, so it is replaced.
 */
export class DirectDumps implements Dumper {
  private socket: DumpSocket;
  private readonly reopen: () => DumpSocket;
  private readonly timeoutMs: number;
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private request = Buffer.alloc(256);
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(open: () => DumpSocket, timeoutMs: number) {
    this.reopen = open;
    this.socket = open();
    this.timeoutMs = timeoutMs;
  }

  dump(req: GenlRequest, timeoutMs = this.timeoutMs): Promise<NlMessage[]> {
    return this.exclusive(async () => {
      const out: NlMessage[] = [];
      await this.run(req, 0, timeoutMs, (_, buf, start, end) => {
        const header = start - NLMSG_HDRLEN;
        out.push({
          type: buf.readUInt16LE(header + 4),
          flags: buf.readUInt16LE(header + 6),
          seq: buf.readUInt32LE(header + 8),
          port: buf.readUInt32LE(header + 12),
          // The caller keeps these: a copy, not a view of the receive buffer.
          payload: Buffer.from(buf.subarray(start, end)),
        });
      });
      return out;
    });
  }

  visitEach(
    requests: readonly GenlRequest[],
    visit: ReplyVisitor,
    timeoutMs = this.timeoutMs,
    pause?: () => Promise<void>,
  ): Promise<void> {
    return this.exclusive(async () => {
      for (let i = 0; i < requests.length; i++) {
        if (i > 0 && i % DUMPS_PER_TURN === 0) await (pause ? pause() : nextTurn());
        const pending = this.run(requests[i] as GenlRequest, i, timeoutMs, visit);
        if (pending) await pending;
      }
    });
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }

  /**
   * Sends one dump request and reads its replies. Returns undefined when the dump ended
   * within the call (the usual case: no promise, no turn of the event loop), or a promise
   * of its end.
   */
  private run(req: GenlRequest, index: number, timeoutMs: number, visit: ReplyVisitor): Promise<void> | undefined {
    if (this.closed) throw new IpvsError('IPVS_TRANSPORT', 'connection closed');
    const seq = this.nextSeq();
    const size = genlSize(req);
    if (this.request.length < size) this.request = Buffer.alloc(Math.max(size, this.request.length * 2));
    writeGenl(this.request, 0, { ...req, flags: req.flags | NLM_F_DUMP }, seq, 0);
    this.socket.send(this.request.subarray(0, size));
    return this.drain(seq, index, visit) ? undefined : this.finish(seq, index, timeoutMs, visit);
  }

  /** Waits for the rest of a dump, a turn of the event loop at a time. */
  private async finish(seq: number, index: number, timeoutMs: number, visit: ReplyVisitor): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      await nextTurn();
      if (this.drain(seq, index, visit)) return;
      if (performance.now() > deadline) {
        // The kernel may still run this dump on this socket: a new socket for the next one.
        this.socket.close();
        this.socket = this.reopen();
        throw new IpvsError('IPVS_TIMEOUT', `no answer from the kernel in ${timeoutMs} ms`);
      }
    }
  }

  /**
   * Reads until the dump `seq` ends or nothing more is queued; true when it ended. A
   * kernel error ends it with a KernelError. Replies to other sequence numbers (of a dump
   * abandoned earlier) are skipped.
   */
  private drain(seq: number, index: number, visit: ReplyVisitor): boolean {
    let ended = -1;
    while (ended < 0) {
      const read = this.socket.read((datagram) => {
        let at = 0;
        while (at + NLMSG_HDRLEN <= datagram.length) {
          const len = datagram.readUInt32LE(at);
          if (len < NLMSG_HDRLEN || at + len > datagram.length) {
            throw new IpvsError('IPVS_PROTOCOL', `malformed netlink message at ${at} (length ${len})`);
          }
          if (ended < 0 && datagram.readUInt32LE(at + 8) === seq) {
            const type = datagram.readUInt16LE(at + 4);
            if (type === NLMSG_DONE || type === NLMSG_ERROR) {
              ended = len >= NLMSG_HDRLEN + 4 ? Math.max(0, -datagram.readInt32LE(at + NLMSG_HDRLEN)) : 0;
            } else {
              visit(index, datagram, at + NLMSG_HDRLEN, at + len);
            }
          }
          at += (len + 3) & ~3;
        }
      });
      if (read === 0) break;
    }
    if (ended < 0) return false;
    if (ended !== 0) throw new KernelError(ended);
    return true;
  }

  /** Runs calls one after another: a socket holds one dump at a time. */
  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    return this.seq;
  }
}
