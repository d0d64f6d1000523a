import { errnoName, IpvsError } from '../errors.js';
import { AttrView, cstring } from './attributes.js';
import {
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_CMD_GETFAMILY,
  errorCode,
  GENL_HDRLEN,
  GENL_ID_CTRL,
  type GenlRequest,
  genlSize,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NlMessage,
  splitMessages,
  writeGenl,
} from './message.js';
import type { NetlinkTransport } from './transport.js';

/** A kernel error for one request: errno, and which request (by its index in a batch). */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  readonly errno: number;
  constructor(errno: number) {
    super(`kernel answered ${errnoName(errno)} (${errno})`);
    this.errno = errno;
  }
}

interface Pending {
  /** Dumps end at NLMSG_DONE; other requests at their acknowledgement or error. */
  dump: boolean;
  replies: NlMessage[];
  resolve(replies: NlMessage[]): void;
  reject(error: Error): void;
}

export interface BatchOutcome {
  /** Errors by the index of the request in the batch; absent indexes succeeded. */
  errors: Map<number, KernelError>;
}

/** Bytes of requests per datagram in a batch: their worst-case error replies fit the receive buffer. */
const BATCH_BYTES = 64 * 1024;

/**
 * Requests over one generic netlink socket: sequence numbers, acknowledgements, dumps,
 * timeouts, and batches of many messages per datagram with errors matched to the
 * request that caused them. It reads NLMSG_ERROR itself so every error keeps its errno.
 */
export class NetlinkConnection {
  private readonly transport: NetlinkTransport;
  private readonly timeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private closed = false;
  private port: number | undefined;

  constructor(transport: NetlinkTransport, options: { timeoutMs?: number } = {}) {
    this.transport = transport;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    transport.onMessage((datagram) => this.receive(datagram));
    transport.onError((error) => this.failAll(error));
  }

  get procNet(): string {
    return this.transport.procNet;
  }

  /** Resolves a generic netlink family's id (it differs between kernels). */
  async resolveFamily(name: string): Promise<number> {
    const replies = await this.request({
      family: GENL_ID_CTRL,
      cmd: CTRL_CMD_GETFAMILY,
      version: 1,
      flags: 0,
      attrs: [{ type: CTRL_ATTR_FAMILY_NAME, value: cstring(name) }],
    });
    const reply = replies[0];
    const id = reply ? new AttrView(reply.payload, GENL_HDRLEN).u16(CTRL_ATTR_FAMILY_ID) : undefined;
    if (id === undefined) throw new IpvsError('IPVS_PROTOCOL', `no family id in the reply for ${name}`);
    return id;
  }

  /** One request, acknowledged: resolves with any replies the kernel sent before the ack. */
  request(req: GenlRequest, timeoutMs = this.timeoutMs): Promise<NlMessage[]> {
    return this.exchange({ ...req, flags: req.flags | NLM_F_ACK }, false, timeoutMs);
  }

  /**
   * A dump: resolves with every message up to NLMSG_DONE. One at a time per socket: the
   * kernel answers a second dump request with EBUSY until the first has ended, which it
   * signals only in a second round, run when the socket is read again (see DumpPool).
   */
  dump(req: GenlRequest, timeoutMs = this.timeoutMs): Promise<NlMessage[]> {
    return this.exchange({ ...req, flags: req.flags | NLM_F_DUMP }, true, timeoutMs);
  }

  /**
   * Many requests, as few datagrams as possible. Only the last request of a datagram asks
   * for an acknowledgement: the kernel handles a datagram's messages in order and answers
   * the others only when they fail, so one ack confirms the whole datagram.
   */
  async batch(requests: readonly GenlRequest[], timeoutMs = this.timeoutMs): Promise<BatchOutcome> {
    const errors = new Map<number, KernelError>();
    const sizes = requests.map(genlSize);
    let start = 0;
    while (start < requests.length) {
      let end = start;
      let bytes = 0;
      while (end < requests.length && (end === start || bytes + (sizes[end] as number) <= BATCH_BYTES)) {
        bytes += sizes[end] as number;
        end++;
      }
      const chunkErrors = await this.sendChunk(requests.slice(start, end), bytes, timeoutMs);
      for (const [i, error] of chunkErrors) errors.set(start + i, error);
      start = end;
    }
    return { errors };
  }

  close(): void {
    this.closed = true;
    this.failAll(new IpvsError('IPVS_TRANSPORT', 'connection closed'));
    this.transport.close();
  }

  private sendChunk(
    requests: readonly GenlRequest[],
    bytes: number,
    timeoutMs: number,
  ): Promise<Map<number, KernelError>> {
    if (this.closed) return Promise.reject(new IpvsError('IPVS_TRANSPORT', 'connection closed'));
    const first = this.nextSeq(requests.length);
    const last = first + requests.length - 1;
    const errors = new Map<number, KernelError>();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        for (let s = first; s <= last; s++) this.pending.delete(s >>> 0);
        reject(new IpvsError('IPVS_TIMEOUT', `no acknowledgement for ${requests.length} requests in ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        for (let s = first; s < last; s++) this.pending.delete(s >>> 0);
        resolve(errors);
      };
      // Non-final requests hear back only on error; the final one ends the chunk either way.
      for (let i = 0; i < requests.length - 1; i++) {
        this.pending.set((first + i) >>> 0, {
          dump: false,
          replies: [],
          resolve: () => undefined,
          reject: (error) => {
            if (error instanceof KernelError) errors.set(i, error);
          },
        });
      }
      this.pending.set(last >>> 0, {
        dump: false,
        replies: [],
        resolve: done,
        reject: (error) => {
          if (error instanceof KernelError) {
            errors.set(requests.length - 1, error);
            done();
          } else {
            clearTimeout(timer);
            reject(error);
          }
        },
      });
      this.write(requests, first, requests.length - 1, bytes);
    });
  }

  private exchange(req: GenlRequest, dump: boolean, timeoutMs: number): Promise<NlMessage[]> {
    if (this.closed) return Promise.reject(new IpvsError('IPVS_TRANSPORT', 'connection closed'));
    const seq = this.nextSeq(1);
    const promise = this.expect(seq, dump, timeoutMs);
    this.write([req], seq, -1, genlSize(req));
    return promise;
  }

  private expect(seq: number, dump: boolean, timeoutMs: number): Promise<NlMessage[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new IpvsError('IPVS_TIMEOUT', `no answer from the kernel in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, {
        dump,
        replies: [],
        resolve: (replies) => {
          clearTimeout(timer);
          resolve(replies);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** Encodes requests into one datagram of `size` bytes; the one at `ackIndex` asks for an ack. */
  private write(requests: readonly GenlRequest[], firstSeq: number, ackIndex: number, size: number): void {
    const buf = Buffer.alloc(size);
    let at = 0;
    // Asked once: on the local transport it is a system call.
    this.port ??= this.transport.port;
    const port = this.port;
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i] as GenlRequest;
      at = writeGenl(buf, at, i === ackIndex ? { ...r, flags: r.flags | NLM_F_ACK } : r, (firstSeq + i) >>> 0, port);
    }
    this.transport.send(buf);
  }

  private nextSeq(count: number): number {
    const first = this.seq;
    this.seq = (this.seq + count) % 0x7fffffff;
    if (this.seq < first) {
      // Never wrap inside a batch: start over from 1.
      this.seq = count + 1;
      return 1;
    }
    return first;
  }

  private receive(datagram: Buffer): void {
    let messages: NlMessage[];
    try {
      messages = splitMessages(datagram);
    } catch (cause) {
      this.failAll(new IpvsError('IPVS_PROTOCOL', 'undecodable netlink datagram', { cause }));
      return;
    }
    for (const msg of messages) {
      const pending = this.pending.get(msg.seq);
      if (!pending) continue;
      if (msg.type === NLMSG_ERROR) {
        this.pending.delete(msg.seq);
        const errno = errorCode(msg);
        if (errno === 0) pending.resolve(pending.replies);
        else pending.reject(new KernelError(errno));
      } else if (msg.type === NLMSG_DONE) {
        this.pending.delete(msg.seq);
        const errno = errorCode(msg);
        if (errno === 0) pending.resolve(pending.replies);
        else pending.reject(new KernelError(errno));
      } else {
        pending.replies.push(msg);
      }
    }
  }

  private failAll(error: Error): void {
    const wrapped =
      error instanceof IpvsError
        ? error
        : new IpvsError('IPVS_TRANSPORT', `netlink socket: ${error.message}`, { cause: error });
    for (const [seq, pending] of this.pending) {
      this.pending.delete(seq);
      pending.reject(wrapped);
    }
  }
}
