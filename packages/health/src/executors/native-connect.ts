import {
  AF_INET,
  AF_INET6,
  errnoName,
  parseIPv6 as ipv6Bytes,
  libcLoader,
  type NativeFunction,
  requireLp64,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from '@sluice/linux';
import type { CheckLane, CheckRequest } from '../executor.js';
import { type CheckResult, classifyError, timedOut } from '../result.js';
import { DeadlineQueue } from './deadline-queue.js';

// Linux ABI values, the same on x86_64 and arm64 (the only architectures `NativeConnectLane.open` accepts).
const SO_ERROR = 4;
const SO_LINGER = 13;
const IPPROTO_TCP = 6;
const TCP_DEFER_ACCEPT = 9;
const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLLONESHOT = 1 << 30;
const EPOLLOUT = 0x4;
const EPOLLERR = 0x8;
const EPOLLHUP = 0x10;
const EINPROGRESS = 115;

/** Events fetched per epoll_wait. */
const BATCH = 1024;
/** The longest a poll lasts: bounds how long `close()` and process exit wait for the poll thread. */
const POLL_MS = 200;
/** Idle connected-and-dissolved sockets kept per address family for the next checks. */
const POOL_MAX = 4096;
/** Slots are numbered below this; the handle carries the slot's generation above it. */
const SLOT_LIMIT = 0x200000;

/** Shared by every passing connect check: the result is read-only. */
const CONNECTED: CheckResult = Object.freeze({ ok: true });

interface Libc {
  errno: () => number;
  socket: NativeFunction;
  setsockopt: NativeFunction;
  getsockopt: NativeFunction;
  connect: NativeFunction;
  close: NativeFunction;
  epollCreate: NativeFunction;
  epollCtl: NativeFunction;
  epollWait: NativeFunction;
}

/**
 * libc through koffi (already used for ping sockets), loaded synchronously on the first
 * use so that users who never check TCP never load it. An Error when it cannot be had.
 */
const loadLibc = libcLoader<Libc>((koffi, lib) => {
  // epoll_event is packed on x86_64 only; other ABIs would need their own constants.
  requireLp64();
  return {
    errno: () => koffi.errno(),
    socket: lib.func('int socket(int, int, int)'),
    setsockopt: lib.func('int setsockopt(int, int, int, void *, uint32_t)'),
    getsockopt: lib.func('int getsockopt(int, int, int, void *, void *)'),
    connect: lib.func('int connect(int, void *, uint32_t)'),
    close: lib.func('int close(int)'),
    epollCreate: lib.func('int epoll_create1(int)'),
    epollCtl: lib.func('int epoll_ctl(int, int, int, void *)'),
    epollWait: lib.func('int epoll_wait(int, void *, int, int)'),
  };
});

/**
 * TCP connect checks without a `net.Socket`, a promise or a timer per check: non-blocking
 * connect(2) from the main thread and two epoll sets. Every check is armed in the fast set,
 * which nobody waits on: once the checks due in this turn are started, one epoll_wait(2)
 * with no timeout collects those already answered (on a LAN, most of them). The rest are
 * armed in the slow set, on which one epoll_wait(2) at a time blocks on a koffi worker
 * thread and hands a batch of completions back. Sockets that connected are dissolved and
 * reused. A check then costs connect(2) twice and epoll_ctl(2) once (getsockopt(2) only
 * on failure), no JS object (slots are reused, results of passing checks are shared) and,
 * on a LAN, no round trip between threads.
 *
 * Results are those of the `net.Socket` path: the same reasons and the same detail text
 * (`connect ECONNREFUSED 192.0.2.2:81`), and the socket is closed with a reset once
 * connected (SO_LINGER 0), so checks leave no TIME_WAIT entries.
 */
export class NativeConnectLane implements CheckLane {
  private readonly c: Libc;
  /** Waited on by the poll thread: checks not answered by the end of their turn. */
  private readonly epfd: number;
  /** Polled by the main thread without waiting, after each turn that started checks. */
  private readonly fastfd: number;
  /** Per descriptor: 0 not in the slow set, 1 in it but disarmed, 2 armed. */
  private slowState = new Uint8Array(1024);
  /**
   * Handles of the checks started in this turn: the first `batchCount`. This and the `held`
   * lists are counted, never truncated, so that they keep their backing stores.
   */
  private readonly batch: number[] = [];
  private batchCount = 0;
  /**
   * The clock at the start of this turn, renewed every 64 checks: deadlines and answer times
   * need no clock read per check (a clock read is a system call where there is no vDSO,
   * as in User-Mode Linux: about 25 µs each).
   */
  private turnNow = 0;
  /** Answers taken during this turn, settled at its end: handle, result, arrival time. */
  private readonly heldHandles: number[] = [];
  private readonly heldResults: CheckResult[] = [];
  private readonly heldAt: number[] = [];
  private heldCount = 0;
  private batchScheduled = false;
  private readonly onBatch = () => this.afterBatch();
  /** Filled by the poll thread; read only once its poll has returned. */
  private readonly events = Buffer.alloc(BATCH * 16);
  /** Filled by `collectNow` on the main thread. */
  private readonly readyNow = Buffer.alloc(BATCH * 16);
  private readonly eventSize = process.arch === 'x64' ? 12 : 16;
  private readonly dataOffset = process.arch === 'x64' ? 4 : 8;
  private readonly ctlEvent: Buffer;
  private readonly linger = new Int32Array([1, 0]);
  private readonly one = new Int32Array([1]);
  private readonly errorValue = new Int32Array(1);
  private readonly errorLength = new Uint32Array(1);
  private readonly address4 = Buffer.alloc(16);
  private readonly address6 = Buffer.alloc(28);
  /** sa_family AF_UNSPEC: connect(2) with it dissolves a TCP connection (with a reset). */
  private readonly unspec = Buffer.alloc(16);
  /** Idle sockets, still registered (disarmed) in the epoll set. */
  private readonly pool4: number[] = [];
  private readonly pool6: number[] = [];
  private readonly parsed6 = new Map<string, Buffer>();
  // Per slot; a slot is reused by later checks, its generation tells them apart.
  private fds: Int32Array = new Int32Array(64).fill(-1);
  private gens: Uint32Array = new Uint32Array(64);
  private readonly tokens: unknown[] = [];
  private readonly settles: Array<((token: unknown, result: CheckResult, ageMs?: number) => void) | undefined> = [];
  private readonly requests: Array<CheckRequest | undefined> = [];
  private readonly free: number[] = [];
  private slots = 0;
  private inFlight = 0;
  private opened = 0;
  private reused = 0;
  /** Polls handed to the thread pool (each a round trip between threads). */
  private polls = 0;
  /** Answers taken in the middle of a turn. */
  private harvested = 0;
  private polling = false;
  /** Polls in a row that returned an error (EINTR is harmless, EBADF would spin forever). */
  private pollErrors = 0;
  private closed = false;
  private readonly queues = new Map<number, DeadlineQueue>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  /** Checks that ended inside `start` (an immediate error), settled on the next microtask. */
  private readonly early: Array<{ handle: number; result: CheckResult }> = [];
  private earlyScheduled = false;
  private broken: Error | undefined;
  private readonly onEvents = (error: unknown, count: number) => this.collect(error, count);
  private readonly onTimer = () => this.expire();
  private readonly flushEarly = () => this.settleEarly();

  private constructor(c: Libc, epfd: number, fastfd: number) {
    this.c = c;
    this.epfd = epfd;
    this.fastfd = fastfd;
    this.ctlEvent = Buffer.alloc(16);
    // One-shot: a socket's registration stays, disarmed, while it waits in the pool, and is
    // armed again (EPOLL_CTL_MOD, with the new check's slot) by the next check.
    this.ctlEvent.writeUInt32LE((EPOLLOUT | EPOLLONESHOT) >>> 0, 0);
    this.address4.writeUInt16LE(AF_INET, 0);
    this.address6.writeUInt16LE(AF_INET6, 0);
  }

  /** A lane, or the reason there can be none on this system. */
  static open(): NativeConnectLane | Error {
    const c = loadLibc();
    if (c instanceof Error) return c;
    const epfd = c.epollCreate(EPOLL_CLOEXEC);
    if (epfd < 0) return new Error(`epoll_create1 failed (errno ${c.errno()})`);
    const fastfd = c.epollCreate(EPOLL_CLOEXEC);
    if (fastfd < 0) {
      c.close(epfd);
      return new Error(`epoll_create1 failed (errno ${c.errno()})`);
    }
    return new NativeConnectLane(c, epfd, fastfd);
  }

  /** Checks in flight, sockets opened so far, and checks that ran on a reused socket. */
  get counters(): { inFlight: number; opened: number; reused: number; polls: number; harvested: number } {
    return {
      inFlight: this.inFlight,
      opened: this.opened,
      reused: this.reused,
      polls: this.polls,
      harvested: this.harvested,
    };
  }

  accepts(request: CheckRequest): boolean {
    return (
      request.check.type === 'connect' &&
      request.port !== undefined &&
      this.broken === undefined &&
      !this.closed &&
      // Scoped IPv6 addresses (fe80::1%eth0) need an interface index: the socket path knows how.
      !request.address.includes('%')
    );
  }

  start<T>(request: CheckRequest, token: T, settle: (token: T, result: CheckResult, ageMs?: number) => void): number {
    const slot = this.allocate();
    const handle = (this.gens[slot] as number) * SLOT_LIMIT + slot;
    this.tokens[slot] = token;
    this.settles[slot] = settle as (token: unknown, result: CheckResult, ageMs?: number) => void;
    this.requests[slot] = request;
    this.inFlight++;
    const c = this.c;
    const six = request.address.includes(':');
    const pool = six ? this.pool6 : this.pool4;
    let fd = pool.pop();
    const fresh = fd === undefined;
    if (fresh) this.opened++;
    else this.reused++;
    if (fd === undefined) {
      fd = c.socket(six ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        this.endEarly(handle, this.failure(c.errno(), request, 'socket'));
        return handle;
      }
      // Close (and dissolve) with a reset once connected, as HAProxy does: a FIN would leave
      // a TIME_WAIT entry on the balancer per check, 60 s each.
      c.setsockopt(fd, SOL_SOCKET, SO_LINGER, this.linger, 8);
      // No ACK for the server's SYN-ACK (Linux delays it up to 200 ms on a connecting socket
      // with this option, as TCP_QUICKACK 0 would, but the option survives the socket's
      // dissolution): the reset follows the SYN-ACK alone, so the server drops its half-open
      // connection and never creates, queues or hands its application a socket. HAProxy ends
      // its plain TCP checks the same way (through TCP_QUICKACK 0). A kernel that ignored it would only cost the ACK.
      c.setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, this.one, 4);
    }
    this.fds[slot] = fd;
    const address = six ? this.sockaddr6(request.address, request.port as number) : this.sockaddr4(request);
    if (address === undefined) {
      this.endEarly(handle, classifyError(new TypeError(`not an IP address: ${request.address}`)));
      return handle;
    }
    if (c.connect(fd, address, address.length) === 0) {
      this.endEarly(handle, CONNECTED);
      return handle;
    }
    const errno = c.errno();
    if (errno !== EINPROGRESS) {
      this.endEarly(handle, this.failure(errno, request, 'connect'));
      return handle;
    }
    const ev = this.ctlEvent;
    ev.writeUInt32LE(slot, this.dataOffset);
    ev.writeUInt32LE(this.gens[slot] as number, this.dataOffset + 4);
    if (c.epollCtl(this.fastfd, fresh ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, ev) !== 0) {
      this.endEarly(handle, this.failure(c.errno(), request, 'epoll_ctl'));
      return handle;
    }
    if (this.batchCount === 0) this.turnNow = performance.now();
    this.track(handle, request.timeoutMs);
    this.batch[this.batchCount++] = handle;
    // A long turn (thousands of checks due at once): collect answers on the way, so that
    // their latency is right and their sockets serve the rest of the turn.
    if ((this.batchCount & 63) === 0) this.harvest();
    if (!this.batchScheduled) {
      this.batchScheduled = true;
      queueMicrotask(this.onBatch);
    }
    return handle;
  }

  cancel(handle: number): void {
    const slot = handle % SLOT_LIMIT;
    if (!this.live(slot, handle)) return;
    this.release(slot);
  }

  /** One check as a promise, for `NetworkExecutor.run` (`runCheck`); an abort cancels it. */
  run(request: CheckRequest, signal: AbortSignal): Promise<CheckResult> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => this.cancel(handle);
      const handle = this.start(request, resolve, (done, result) => {
        signal.removeEventListener('abort', onAbort);
        done(result);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Closes every socket in flight (their checks are not settled) and the epoll set. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let slot = 0; slot < this.slots; slot++) if (this.settles[slot] !== undefined) this.release(slot);
    for (const fd of this.pool4.splice(0)) this.c.close(fd);
    for (const fd of this.pool6.splice(0)) this.c.close(fd);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.c.close(this.fastfd);
    // A poll in progress still uses the slow set: it is closed when that poll returns.
    if (!this.polling) this.c.close(this.epfd);
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.slots++;
    if (slot >= SLOT_LIMIT) throw new RangeError('too many connect checks in flight');
    if (slot >= this.fds.length) {
      const fds = new Int32Array(this.fds.length * 2).fill(-1);
      fds.set(this.fds);
      this.fds = fds;
      const gens = new Uint32Array(this.gens.length * 2);
      gens.set(this.gens);
      this.gens = gens;
    }
    return slot;
  }

  private live(slot: number, handle: number): boolean {
    return (
      slot < this.slots &&
      this.settles[slot] !== undefined &&
      (this.gens[slot] as number) * SLOT_LIMIT + slot === handle
    );
  }

  /**
   * Frees the slot. Its socket is closed, or, after a successful check (`reuse`), dissolved
   * with connect(AF_UNSPEC), which resets the connection as close with SO_LINGER 0 does
   * and frees the local port, and kept for a later check: no socket(2), setsockopt(2),
   * epoll registration or close(2) per check, and none of the kernel's allocations behind them.
   */
  private release(slot: number, reuse = false): void {
    this.releaseSocket(slot, reuse);
    // Generations wrap within what a handle can carry exactly (2^53 / SLOT_LIMIT).
    this.gens[slot] = ((this.gens[slot] as number) + 1) % 0x40000000;
    this.tokens[slot] = undefined;
    this.settles[slot] = undefined;
    this.requests[slot] = undefined;
    this.free.push(slot);
    this.inFlight--;
  }

  /** Closes the slot's socket, or dissolves it into the pool (`reuse`); the slot stays. */
  private releaseSocket(slot: number, reuse: boolean): void {
    const fd = this.fds[slot] as number;
    if (fd >= 0) {
      // Armed in the slow set but answered through the fast one: take it out, or its
      // dissolution would wake the poll thread for nothing.
      if (this.slowState[fd] === 2 && reuse) {
        this.c.epollCtl(this.epfd, EPOLL_CTL_DEL, fd, this.ctlEvent);
        this.slowState[fd] = 0;
      }
      const pool = reuse
        ? (this.requests[slot] as CheckRequest).address.includes(':')
          ? this.pool6
          : this.pool4
        : undefined;
      if (pool !== undefined && pool.length < POOL_MAX && this.c.connect(fd, this.unspec, 16) === 0) pool.push(fd);
      else {
        this.c.close(fd);
        if (fd < this.slowState.length) this.slowState[fd] = 0;
      }
    }
    this.fds[slot] = -1;
  }

  private settle(slot: number, result: CheckResult, reuse = false, ageMs = 0): void {
    const token = this.tokens[slot];
    const settle = this.settles[slot] as (token: unknown, result: CheckResult, ageMs?: number) => void;
    this.release(slot, reuse);
    try {
      settle(token, result, ageMs);
    } catch (error) {
      // The caller's bug must not stop the other checks of the batch.
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  private endEarly(handle: number, result: CheckResult): void {
    this.early.push({ handle, result });
    if (!this.earlyScheduled) {
      this.earlyScheduled = true;
      queueMicrotask(this.flushEarly);
    }
  }

  private settleEarly(): void {
    this.earlyScheduled = false;
    const batch = this.early.splice(0);
    for (const { handle, result } of batch) {
      const slot = handle % SLOT_LIMIT;
      if (this.live(slot, handle)) this.settle(slot, result);
    }
  }

  private failure(errno: number, request: CheckRequest, syscall: string): CheckResult {
    const code = errnoName(errno);
    // The same error `net.connect` raises, classified the same way.
    const error = Object.assign(new Error(`${syscall} ${code} ${request.address}:${request.port}`), {
      code,
      errno: -errno,
      syscall,
      address: request.address,
      port: request.port,
    });
    return classifyError(error);
  }

  private sockaddr4(request: CheckRequest): Buffer | undefined {
    const text = request.address;
    const out = this.address4;
    let octet = 0;
    let digits = 0;
    let index = 4;
    for (let i = 0; i <= text.length; i++) {
      const ch = i < text.length ? text.charCodeAt(i) : 46;
      if (ch === 46) {
        if (digits === 0 || octet > 255 || index > 7) return undefined;
        out[index++] = octet;
        octet = 0;
        digits = 0;
      } else if (ch >= 48 && ch <= 57) {
        octet = octet * 10 + (ch - 48);
        digits++;
      } else return undefined;
    }
    if (index !== 8) return undefined;
    out.writeUInt16BE(request.port as number, 2);
    return out;
  }

  private sockaddr6(address: string, port: number): Buffer | undefined {
    let raw = this.parsed6.get(address);
    if (raw === undefined) {
      const parsed = parseIPv6(address);
      if (parsed === undefined) return undefined;
      raw = parsed;
      // Addresses come from targets; the bound only guards against endless churn.
      if (this.parsed6.size >= 65_536) this.parsed6.clear();
      this.parsed6.set(address, raw);
    }
    const out = this.address6;
    out.writeUInt16BE(port, 2);
    raw.copy(out, 8);
    return out;
  }

  private track(handle: number, timeoutMs: number): void {
    let queue = this.queues.get(timeoutMs);
    if (queue === undefined) {
      queue = new DeadlineQueue();
      this.queues.set(timeoutMs, queue);
    }
    const deadline = this.turnNow + timeoutMs;
    queue.push(handle, deadline);
    if (deadline < this.timerAt) this.arm(deadline);
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(at - performance.now())));
  }

  /** Times out every check past its deadline, then arms the timer for the oldest one left. */
  private expire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    // A timer may fire up to a millisecond early on a coarse loop clock: close enough.
    const now = performance.now() + 1;
    this.collectNow(this.fastfd, false);
    this.collectNow();
    let next = Number.POSITIVE_INFINITY;
    for (const [timeoutMs, queue] of this.queues) {
      // Settling may start checks, which join the queue meanwhile: read it afresh each time.
      while (queue.size > 0) {
        const handle = queue.handles[queue.head] as number;
        const slot = handle % SLOT_LIMIT;
        if (this.live(slot, handle)) {
          if ((queue.deadlines[queue.head] as number) > now) break;
          queue.shift();
          this.settle(slot, timedOut(timeoutMs));
        } else queue.shift();
      }
      if (queue.size === 0) {
        // Kept for the next checks with this timeout, unless timeouts keep changing.
        if (this.queues.size > 8) this.queues.delete(timeoutMs);
        continue;
      }
      next = Math.min(next, queue.deadlines[queue.head] as number);
    }
    if (next !== Number.POSITIVE_INFINITY && !this.closed) this.arm(next);
  }

  private poll(): void {
    if (this.polling || this.inFlight === 0 || this.closed) return;
    this.polling = true;
    this.polls++;
    this.c.epollWait.async(this.epfd, this.events, BATCH, POLL_MS, this.onEvents);
  }

  private collect(error: unknown, count: number): void {
    this.polling = false;
    if (this.closed) {
      this.c.close(this.epfd);
      return;
    }
    if (error || count < 0) {
      if (error || ++this.pollErrors > 3) {
        this.fail(error instanceof Error ? error : new Error(error ? String(error) : 'epoll_wait keeps failing'));
        return;
      }
      this.poll();
      return;
    }
    this.pollErrors = 0;
    this.handle(this.events, count, true);
    this.poll();
  }

  /**
   * Collects, without waiting, what is ready but not yet handed over: before a check is
   * declared timed out, so that a poll thread held up (a busy thread pool, a loaded
   * machine) never turns an answered check into a timeout. epoll lets two threads wait on
   * one set; each event goes to one of them.
   */
  private collectNow(epfd = this.epfd, fromSlow = true): void {
    for (;;) {
      const count = this.c.epollWait(epfd, this.readyNow, BATCH, 0);
      if (count <= 0) return;
      this.handle(this.readyNow, count, fromSlow);
      if (count < BATCH) return;
    }
  }

  /**
   * Takes the answers the fast set holds now, in the middle of a turn: each socket is
   * released at once, its result kept (with the time) and settled in `afterBatch`, since
   * `start` never settles.
   */
  private harvest(): void {
    this.turnNow = performance.now();
    const count = this.c.epollWait(this.fastfd, this.readyNow, BATCH, 0);
    if (count > 0) this.handle(this.readyNow, count, false, true);
  }

  /** After a turn that started checks: settle those already answered, hand the rest to the poll thread. */
  private afterBatch(): void {
    this.batchScheduled = false;
    // Closed meanwhile: the sets' descriptor numbers may already belong to someone else.
    if (this.closed) {
      this.batchCount = 0;
      this.heldCount = 0;
      this.heldResults.fill(CONNECTED);
      return;
    }
    if (this.heldCount > 0) {
      const now = performance.now();
      // Settling may start checks, and harvesting them may hold more: read the count afresh.
      for (let i = 0; i < this.heldCount; i++) {
        const handle = this.heldHandles[i] as number;
        const slot = handle % SLOT_LIMIT;
        const result = this.heldResults[i] as CheckResult;
        // Let go of a failure's result; the shared one holds nothing.
        this.heldResults[i] = CONNECTED;
        // Unless cancelled meanwhile.
        if (this.live(slot, handle)) this.settle(slot, result, false, now - (this.heldAt[i] as number));
      }
      this.heldCount = 0;
    }
    this.collectNow(this.fastfd, false);
    const batch = this.batch;
    const ev = this.ctlEvent;
    for (let i = 0; i < this.batchCount; i++) {
      const handle = batch[i] as number;
      const slot = handle % SLOT_LIMIT;
      if (!this.live(slot, handle)) continue;
      const fd = this.fds[slot] as number;
      if (fd >= this.slowState.length) {
        const grown = new Uint8Array(Math.max(fd + 1, this.slowState.length * 2));
        grown.set(this.slowState);
        this.slowState = grown;
      }
      ev.writeUInt32LE(slot, this.dataOffset);
      ev.writeUInt32LE(this.gens[slot] as number, this.dataOffset + 4);
      const op = this.slowState[fd] === 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
      if (this.c.epollCtl(this.epfd, op, fd, ev) === 0) this.slowState[fd] = 2;
    }
    this.batchCount = 0;
    this.poll();
  }

  private handle(events: Buffer, count: number, fromSlow: boolean, hold = false): void {
    const c = this.c;
    const size = this.eventSize;
    const data = this.dataOffset;
    for (let i = 0; i < count; i++) {
      const at = i * size;
      const slot = events.readUInt32LE(at + data);
      const gen = events.readUInt32LE(at + data + 4);
      // A check that timed out or was cancelled meanwhile: its slot may hold another by now.
      // (A held one has no socket any more: nothing can arrive for it.)
      if (slot >= this.slots || this.gens[slot] !== gen || this.settles[slot] === undefined) continue;
      if (this.fds[slot] === -1) continue;
      // One-shot: the slow set's registration is disarmed by this event.
      if (fromSlow) this.slowState[this.fds[slot] as number] = 1;
      const flags = events.readUInt32LE(at);
      let errno = 0;
      if (flags & (EPOLLERR | EPOLLHUP)) {
        this.errorValue[0] = 0;
        this.errorLength[0] = 4;
        errno =
          c.getsockopt(this.fds[slot], SOL_SOCKET, SO_ERROR, this.errorValue, this.errorLength) === 0
            ? (this.errorValue[0] as number)
            : c.errno();
        // A hang-up without an error: the peer reset at once; the socket path sees ECONNRESET.
        if (errno === 0) errno = 104;
      }
      const request = this.requests[slot] as CheckRequest;
      const result = errno === 0 ? CONNECTED : this.failure(errno, request, 'connect');
      if (hold) {
        this.releaseSocket(slot, errno === 0);
        const at = this.heldCount++;
        this.heldHandles[at] = gen * SLOT_LIMIT + slot;
        this.harvested++;
        this.heldResults[at] = result;
        this.heldAt[at] = this.turnNow;
      } else this.settle(slot, result, errno === 0);
    }
  }

  /** The poll thread failed: every check in flight fails, and the lane takes no more. */
  private fail(error: Error): void {
    this.broken = error;
    for (let slot = 0; slot < this.slots; slot++) {
      if (this.settles[slot] !== undefined) {
        this.settle(slot, { ok: false, reason: 'error', detail: `connect lane: ${error.message}` });
      }
    }
  }
}

/** The 16 bytes of an IPv6 address (with an embedded IPv4 tail allowed), or undefined. */
export function parseIPv6(text: string): Buffer | undefined {
  return ipv6Bytes(text);
}
