import { KernelError, type NetlinkConnection } from './connection.js';
import type { GenlRequest, NlMessage } from './message.js';

/**
 * Receives one reply of a dump: the dump's index among the requests, and the message's
 * payload (from its generic netlink header on) as `buf[start..end)`. The bytes may be a
 * receive buffer that is reused after the call: decode, do not keep.
 */
export type ReplyVisitor = (index: number, buf: Buffer, start: number, end: number) => void;

/** What the client dumps through: a pool of event-driven sockets, or a direct socket. */
export interface Dumper {
  /** One dump: every message up to NLMSG_DONE. */
  dump(req: GenlRequest, timeoutMs?: number): Promise<NlMessage[]>;
  /**
   * Many dumps, every reply to `visit`; the first failure stops the run. `pause`, when
   * given, is awaited between slices of dumps instead of a bare turn of the event loop.
   */
  visitEach(
    requests: readonly GenlRequest[],
    visit: ReplyVisitor,
    timeoutMs?: number,
    pause?: () => Promise<void>,
  ): Promise<void>;
  close(): void;
}

/**
 * Dumps over a few netlink sockets. A socket runs one dump at a time (a second dump request
 * while one is running fails with EBUSY), and IPVS has no dump of every destination: a
 * table needs one GET_DEST dump per service. Several sockets keep several of those dumps
 * in flight, so one wake-up of the event loop serves many of them.
 *
 * The first socket is the client's own; the others are opened on first need and kept
 * until close(). A client that dumps through the `netlink` package sends every dump, single
 * or many, through here, so its concurrent calls never put two dumps on one socket (with
 * direct dumps, DirectDumps runs them one at a time).
 */
/** Dumps between two pauses of a paused run (see Dumper.visitEach). */
const PAUSE_EVERY = 32;

export class DumpPool implements Dumper {
  private readonly main: NetlinkConnection;
  private open: (() => NetlinkConnection) | undefined;
  private size: number;
  private readonly extra: NetlinkConnection[] = [];
  private readonly idle: NetlinkConnection[];
  private readonly waiting: ((connection: NetlinkConnection) => void)[] = [];

  /**
   * @param open opens one more connection (undefined: the main one only)
   * @param size sockets at most, the main one included
   */
  constructor(main: NetlinkConnection, open: (() => NetlinkConnection) | undefined, size: number) {
    this.main = main;
    this.open = open;
    this.size = Math.max(1, Math.floor(size));
    this.idle = [main];
  }

  /** Sockets open now, the main one included. */
  get sockets(): number {
    return 1 + this.extra.length;
  }

  /** One dump, on whichever socket is free first. */
  async dump(req: GenlRequest, timeoutMs?: number): Promise<NlMessage[]> {
    const connection = await this.acquire();
    let healthy = true;
    try {
      return await connection.dump(req, timeoutMs);
    } catch (error) {
      healthy = error instanceof KernelError;
      throw error;
    } finally {
      this.release(connection, healthy);
    }
  }

  /**
   * Many dumps, up to `size` at a time. Each dump's messages go to `each` as soon as that
   * dump ends, so its datagrams can be freed while the others run; the results come back
   * in the order of the requests. The first failure stops the run (no further dump starts)
   * and is thrown once the dumps in flight have ended.
   */
  async dumpEach<T>(
    requests: readonly GenlRequest[],
    each: (messages: NlMessage[], index: number) => T,
    timeoutMs?: number,
  ): Promise<T[]> {
    const results = new Array<T>(requests.length);
    let next = 0;
    let failure: { error: unknown } | undefined;
    const lane = async () => {
      const connection = await this.acquire();
      let healthy = true;
      try {
        while (failure === undefined && next < requests.length) {
          const index = next++;
          results[index] = each(await connection.dump(requests[index] as GenlRequest, timeoutMs), index);
        }
      } catch (error) {
        healthy = error instanceof KernelError;
        failure ??= { error };
      } finally {
        this.release(connection, healthy);
      }
    };
    const lanes = Math.min(this.size, requests.length);
    await Promise.all(Array.from({ length: lanes }, lane));
    if (failure) throw failure.error;
    return results;
  }

  async visitEach(
    requests: readonly GenlRequest[],
    visit: ReplyVisitor,
    timeoutMs?: number,
    pause?: () => Promise<void>,
  ): Promise<void> {
    // Several dumps run at once here: paused between slices of requests.
    if (pause !== undefined && requests.length > PAUSE_EVERY) {
      for (let i = 0; i < requests.length; i += PAUSE_EVERY) {
        if (i > 0) await pause();
        await this.visitEach(
          requests.slice(i, i + PAUSE_EVERY),
          (index, ...rest) => visit(i + index, ...rest),
          timeoutMs,
        );
      }
      return;
    }
    await this.dumpEach(
      requests,
      (messages, index) => {
        for (const m of messages) visit(index, m.payload, 0, m.payload.length);
      },
      timeoutMs,
    );
  }

  /** Closes the sockets this pool opened (the main one belongs to the client). */
  close(): void {
    this.open = undefined;
    for (const connection of this.extra.splice(0)) connection.close();
  }

  private acquire(): Promise<NetlinkConnection> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    if (this.open && this.sockets < this.size) {
      try {
        const connection = this.open();
        this.extra.push(connection);
        return Promise.resolve(connection);
      } catch {
        // Out of sockets or memory: carry on with the ones already open.
        this.size = this.sockets;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * Hands a connection to the next waiter, or back to the idle list. An extra connection
   * whose dump failed for another reason than a kernel error (a timeout, a broken socket)
   * may still have that dump running: it is closed and replaced on next need.
   */
  private release(connection: NetlinkConnection, healthy: boolean): void {
    if (!healthy && connection !== this.main) {
      connection.close();
      const at = this.extra.indexOf(connection);
      if (at >= 0) this.extra.splice(at, 1);
      const waiter = this.waiting.shift();
      if (waiter) this.acquire().then(waiter);
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(connection);
    else this.idle.push(connection);
  }
}
