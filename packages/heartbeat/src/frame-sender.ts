import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HeartbeatError } from './errors.js';

/** Puts a complete Ethernet frame on an interface. */
export interface FrameSender {
  send(ifname: string, frame: Buffer): Promise<void>;
  close(): Promise<void>;
}

export const IFNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,14}$/;
/** What `ip netns add` accepts as a name (a file under /run/netns), as @sluice/ipvs checks it. */
const NETNS = /^[A-Za-z0-9_.-]{1,200}$/;

/*
 * Node.js has no packet sockets, so frames go out through a small Node helper
 * (frame-helper.ts: AF_PACKET through koffi) that only opens packet sockets and writes the
 * bytes it is given: the frames themselves are built (and tested) here. The helper is
 * started once and kept, so a failover does not wait for a process to start; it can run in
 * a named namespace (`ip netns exec`), where its packet sockets must be opened. It says
 * "ready" once, then reads "<ifname> <hex>" lines and answers "ok" or "error <reason>".
 */
// The built package runs dist/frame-helper.js; the package's own tests run the sources,
// whose frame-helper.ts Node runs as it is (type stripping).
const HELPER =
  ['./frame-helper.js', './frame-helper.ts']
    .map((file) => fileURLToPath(new URL(file, import.meta.url)))
    .find((file) => existsSync(file)) ?? fileURLToPath(new URL('./frame-helper.js', import.meta.url));

export interface PacketSocketSenderOptions {
  /** The Node.js that runs the helper (default this process's). */
  node?: string;
  /** How long one frame may take once the helper runs (default 2000 ms). */
  timeoutMs?: number;
  /**
   * How long the interpreter may take to start, on top of `timeoutMs` (default 15000 ms):
   * on a loaded or emulated machine Node takes seconds to start, and a frame sent
   * meanwhile must not fail for it.
   */
  startTimeoutMs?: number;
  /**
   * A named network namespace (`ip netns add NAME`) whose interfaces the frames go out on:
   * the helper runs there (`ip netns exec`), as a packet socket binds to an interface of
   * the namespace it was opened in. Default: this process's.
   */
  netns?: string;
}

/** A `FrameSender` over a long-lived Node helper (run without a shell). */
export class PacketSocketSender implements FrameSender {
  private readonly node: string;
  private readonly timeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly netns: string | undefined;
  private child: ChildProcess | undefined;
  private ready = false;
  private buffered = '';
  private readonly pending: { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];

  constructor(options: PacketSocketSenderOptions = {}) {
    this.node = options.node ?? process.execPath;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.startTimeoutMs = options.startTimeoutMs ?? 15_000;
    if (options.netns !== undefined && (!NETNS.test(options.netns) || options.netns.startsWith('.'))) {
      throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `not a namespace name: ${JSON.stringify(options.netns)}`, {
        field: 'netns',
      });
    }
    this.netns = options.netns;
  }

  send(ifname: string, frame: Buffer): Promise<void> {
    if (!IFNAME.test(ifname)) {
      return Promise.reject(
        new HeartbeatError('HEARTBEAT_ANNOUNCE_FAILED', `not an interface name: ${JSON.stringify(ifname)}`, {
          field: 'interface',
        }),
      );
    }
    const child = this.helper();
    const timeoutMs = this.ready ? this.timeoutMs : this.timeoutMs + this.startTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(
          new HeartbeatError('HEARTBEAT_ANNOUNCE_FAILED', `the frame helper did not answer in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.pending.push({ resolve, reject, timer });
      child.stdin?.write(`${ifname} ${frame.toString('hex')}\n`);
    });
  }

  /** Starts the helper now, so the first announcement does not wait for the interpreter. */
  warm(): void {
    this.helper();
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Unreferenced, the helper would let the event loop end before its exit is seen, and a
    // caller awaiting close() would never resume.
    child.ref();
    child.stdin?.end();
    await gone;
  }

  private helper(): ChildProcess {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const args = [HELPER];
    const child =
      this.netns === undefined
        ? spawn(this.node, args, { stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn('ip', ['netns', 'exec', this.netns, this.node, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    // A frame written to a helper that just died fails with EPIPE: the exit handler below
    // fails the frames in flight, and an unhandled stream error would end the process.
    child.stdin?.on('error', () => undefined);
    this.ready = false;
    this.buffered = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.stdout?.on('data', (chunk: Buffer) => this.onOutput(chunk.toString('utf8')));
    child.on('error', (error) => {
      if (this.child === child) this.child = undefined;
      this.fail(new HeartbeatError('HEARTBEAT_ANNOUNCE_FAILED', `cannot run ${this.node}`, { cause: error }));
    });
    child.on('exit', (code) => {
      if (this.child === child) this.child = undefined;
      this.fail(new HeartbeatError('HEARTBEAT_ANNOUNCE_FAILED', `the frame helper exited (${code}): ${stderr.trim()}`));
    });
    // The helper must never keep a daemon's event loop alive on its own.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr])
      (stream as { unref?: () => void } | null)?.unref?.();
    return child;
  }

  private onOutput(text: string): void {
    this.buffered += text;
    let newline = this.buffered.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (!this.ready && line === 'ready') {
        this.ready = true;
        newline = this.buffered.indexOf('\n');
        continue;
      }
      const waiter = this.pending.shift();
      if (waiter) {
        clearTimeout(waiter.timer);
        if (line === 'ok') waiter.resolve();
        else waiter.reject(new HeartbeatError('HEARTBEAT_ANNOUNCE_FAILED', `sending the frame failed: ${line}`));
      }
      newline = this.buffered.indexOf('\n');
    }
  }

  private fail(error: Error): void {
    for (const waiter of this.pending.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    if (this.child) {
      this.child.kill('SIGKILL');
      this.child = undefined;
    }
  }
}
