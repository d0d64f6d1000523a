import { execFile } from 'node:child_process';
import { isIPv4, isIPv6, Socket } from 'node:net';
import { HeartbeatError } from './errors.js';
import type { PingMonitor } from './link.js';

/** A ping node: an ICMP echo target (heartbeat's `ping`) or a TCP port that must accept. */
export type PingTarget = { type: 'icmp'; address: string } | { type: 'tcp'; address: string; port: number };

/** One reachability probe; resolves true when the target answered in time, never rejects. */
export type Probe = (target: PingTarget, timeoutMs: number) => Promise<boolean>;

export function parsePingTarget(input: unknown, field: string): PingTarget {
  const t = input as Partial<{ type: string; address: string; port: number }>;
  if (typeof t?.address !== 'string' || !(isIPv4(t.address) || isIPv6(t.address))) {
    throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `${field}.address: must be an IP address`, {
      field: `${field}.address`,
    });
  }
  if (t.type === 'icmp') return { type: 'icmp', address: t.address };
  if (t.type === 'tcp') {
    if (!Number.isInteger(t.port) || (t.port ?? 0) < 1 || (t.port ?? 0) > 65535) {
      throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `${field}.port: must be 1-65535`, {
        field: `${field}.port`,
      });
    }
    return { type: 'tcp', address: t.address, port: t.port as number };
  }
  throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `${field}.type: must be "icmp" or "tcp"`, {
    field: `${field}.type`,
  });
}

/** TCP connect: reachable when the target accepts (a refusal also proves the path works, but not the service). */
export const tcpProbe: Probe = (target, timeoutMs) =>
  new Promise((resolve) => {
    if (target.type !== 'tcp') return resolve(false);
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(target.port, target.address, () => done(true));
  });

/** ICMP echo through iputils `ping` (Node has no raw sockets): one echo, answer within the timeout. */
export const icmpProbe: Probe = (target, timeoutMs) =>
  new Promise((resolve) => {
    if (target.type !== 'icmp') return resolve(false);
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    execFile(
      'ping',
      ['-n', '-q', '-c', '1', '-W', String(seconds), target.address],
      { timeout: timeoutMs + 1000 },
      (error) => resolve(!error),
    );
  });

const byType: Probe = (target, timeoutMs) =>
  target.type === 'tcp' ? tcpProbe(target, timeoutMs) : icmpProbe(target, timeoutMs);

export interface PingNodesOptions {
  targets: readonly PingTarget[];
  /** Between rounds of probes (default 500 ms). */
  intervalMs?: number;
  timeoutMs?: number;
  /** Consecutive failed rounds before "unreachable" (default 2: one lost echo is not an outage). */
  fall?: number;
  probe?: Probe;
}

/**
 * Heartbeat's `ping_group`: the ping nodes are reachable while any one of them answers.
 * Reports the first result, then every change.
 */
export class PingNodes implements PingMonitor {
  private readonly options: Required<Omit<PingNodesOptions, 'targets'>> & { targets: readonly PingTarget[] };
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private reachable: boolean | undefined;
  private failures = 0;

  constructor(options: PingNodesOptions) {
    if (options.targets.length === 0) {
      throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', 'pingNodes: at least one target', { field: 'pingNodes' });
    }
    this.options = { intervalMs: 500, timeoutMs: 1000, fall: 2, probe: byType, ...options };
  }

  start(report: (reachable: boolean) => void): void {
    this.running = true;
    const round = async () => {
      const results = await Promise.all(this.options.targets.map((t) => this.options.probe(t, this.options.timeoutMs)));
      if (!this.running) return;
      const ok = results.some(Boolean);
      this.failures = ok ? 0 : this.failures + 1;
      // The first round decides at once; after that a loss must last `fall` rounds.
      const next = ok
        ? true
        : this.reachable === undefined || this.failures >= this.options.fall
          ? false
          : this.reachable;
      if (next !== this.reachable) {
        this.reachable = next;
        report(next);
      }
      this.timer = setTimeout(round, this.options.intervalMs);
    };
    void round();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }
}
