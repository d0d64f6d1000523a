/**
 * Health checks run inside a named network namespace (`serve --netns NAME`): the real
 * servers are reachable from the data plane's namespace, not necessarily from the daemon's.
 * A socket belongs to the namespace it was opened in and Node cannot switch a thread's
 * namespace, so one worker process runs @sluice/health's NetworkExecutor there
 * (`ip netns exec`, as IPVS's netlink worker and HAProxy) and the checks go to it as JSON
 * lines: `{id, request}` and `{cancel}` in, `{id, result}` out.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CheckExecutor, CheckRequest, CheckResult } from '@sluice/health';
import { checkNetnsName } from '../addresses/namespace.js';

// Plain JavaScript, run by this same Node: argv[1] is @sluice/health's entry (a URL).
const WORKER = `
const { NetworkExecutor } = await import(process.argv[1]);
const { createInterface } = await import('node:readline');
const executor = new NetworkExecutor({ connect: 'socket' });
const running = new Map();
const say = (message) => process.stdout.write(JSON.stringify(message) + '\\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line);
  if (message.cancel !== undefined) return running.get(message.cancel)?.abort();
  const controller = new AbortController();
  running.set(message.id, controller);
  executor.run(message.request, controller.signal).then(
    (result) => result,
    (error) => ({ ok: false, reason: 'error', detail: String(error && error.message || error) }),
  ).then((result) => {
    running.delete(message.id);
    if (!controller.signal.aborted) say({ id: message.id, result });
  });
}).on('close', () => executor.close().finally(() => process.exit(0)));
say({ ready: true });
`;

function healthEntry(): string {
  // Resolved here, where @sluice/health is a dependency; the worker imports it by URL.
  return import.meta.resolve('@sluice/health');
}

interface Pending {
  resolve: (result: CheckResult) => void;
  cleanup: () => void;
}

export class NamespaceExecutor implements CheckExecutor {
  readonly netns: string;
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(netns: string) {
    this.netns = checkNetnsName(netns);
  }

  run(request: CheckRequest, signal: AbortSignal): Promise<CheckResult> {
    const child = this.worker();
    const id = this.nextId++;
    return new Promise<CheckResult>((resolve) => {
      const onAbort = () => {
        this.settle(id, { ok: false, reason: 'timeout', detail: 'cancelled' });
        if (child.stdin?.writable) child.stdin.write(`${JSON.stringify({ cancel: id })}\n`);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, cleanup: () => signal.removeEventListener('abort', onAbort) });
      child.stdin?.write(`${JSON.stringify({ id, request })}\n`);
    });
  }

  private settle(id: number, result: CheckResult): void {
    const waiter = this.pending.get(id);
    if (waiter === undefined) return;
    this.pending.delete(id);
    waiter.cleanup();
    waiter.resolve(result);
  }

  private worker(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    const child = spawn(
      'ip',
      ['netns', 'exec', this.netns, process.execPath, '--input-type=module', '-e', WORKER, healthEntry()],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child = child;
    // A write to a worker that just died fails with EPIPE: the exit handler below fails the
    // checks in flight, and an unhandled stream error would end the daemon.
    child.stdin?.on('error', () => undefined);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let message: { id?: number; result?: CheckResult };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (message.id !== undefined && message.result !== undefined) this.settle(message.id, message.result);
    });
    const failAll = (detail: string) => {
      if (this.child === child) this.child = undefined;
      // Every check in flight fails as an error of ours, not as the server's state; the next starts a new worker.
      for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, reason: 'error', detail });
    };
    child.on('error', (error) => failAll(`health worker in netns ${this.netns}: ${error.message}`));
    child.on('exit', (code) => failAll(`health worker in netns ${this.netns} exited (${code}): ${stderr.trim()}`));
    // The worker must never keep a stopping daemon alive on its own.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as { unref?: () => void } | null)?.unref?.();
    }
    return child;
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Unreferenced, the worker would let the event loop end before its exit is seen.
    child.ref();
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(timer);
  }
}
