import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Host } from '../netns/host.js';

/**
 * The monitors' pids. `ip -n` enters the namespace it watches, so a monitor is a process
 * of the node it watches: FailoverLab leaves these out of a node's death.
 */
export const OBSERVER_PIDS = new Set<number>();

/** A change of whether the host holds the address, at `performance.now()`. */
export interface AddressChange {
  at: number;
  held: boolean;
}

/**
 * Whether a host holds an address, followed through `ip monitor address` (the kernel's own
 * notifications, timed as they arrive: no polling, so a benchmark can time a dual-active
 * spell to the millisecond without spawning `ip` a hundred times a second). A node's
 * death (FailoverLab.crash) leaves the monitor running (OBSERVER_PIDS).
 */
export class AddressWatch {
  readonly cidr: string;
  readonly changes: AddressChange[] = [];
  private current = false;
  private readonly monitor: ChildProcess;
  private readonly waiters = new Set<() => void>();

  private constructor(host: Host, cidr: string) {
    this.cidr = cidr;
    this.monitor = spawn('ip', ['-n', host.netns, '-o', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = this.monitor.pid;
    if (pid !== undefined) OBSERVER_PIDS.add(pid);
    const stop = () => this.monitor.kill('SIGKILL');
    process.once('exit', stop);
    this.monitor.once('exit', () => {
      process.off('exit', stop);
      if (pid !== undefined) OBSERVER_PIDS.delete(pid);
    });
    createInterface({ input: this.monitor.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const match = /^(Deleted )?\d+: \S+\s+inet6? (\S+)/.exec(line);
      if (match?.[2] === cidr) this.set(match[1] === undefined);
    });
  }

  /** Starts watching; the first state is what `ip addr` shows once the monitor runs. */
  static async start(host: Host, cidr: string): Promise<AddressWatch> {
    const watch = new AddressWatch(host, cidr);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { stdout } = await host.ip(['-o', 'addr', 'show']);
    if (watch.changes.length === 0) watch.current = stdout.split('\n').some((l) => l.includes(` ${cidr} `));
    return watch;
  }

  get held(): boolean {
    return this.current;
  }

  /** Resolves with the time (`performance.now()`) the address is (or is not) held; rejects after `timeoutMs`. */
  until(held: boolean, timeoutMs: number): Promise<number> {
    if (this.current === held) return Promise.resolve(this.changes.at(-1)?.at ?? performance.now());
    return new Promise((resolve, reject) => {
      const done = () => {
        if (this.current !== held) return;
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.changes.at(-1)?.at ?? performance.now());
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(new Error(`${this.cidr} not ${held ? 'held' : 'released'} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(done);
    });
  }

  stop(): void {
    this.monitor.kill('SIGKILL');
  }

  private set(held: boolean): void {
    if (held === this.current) return;
    this.current = held;
    this.changes.push({ at: performance.now(), held });
    for (const waiter of [...this.waiters]) waiter();
  }
}
