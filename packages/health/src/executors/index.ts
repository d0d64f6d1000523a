import { HealthError } from '../errors.js';
import type { CheckExecutor, CheckLane, CheckRequest } from '../executor.js';
import { type CheckResult, fail, pass } from '../result.js';
import { runAgent } from './agent.js';
import { runConnect } from './connect.js';
import { runDns } from './dns.js';
import { runExternal } from './external.js';
import { runGreeting, runSendExpect } from './greeting.js';
import { NativeConnectLane } from './native-connect.js';
import { DispatcherCache, runNegotiate } from './negotiate.js';
import { Pinger } from './ping.js';
import { runTls } from './tls.js';

export interface NetworkExecutorOptions {
  /**
   * How `connect` checks run. `native`: batched non-blocking connect(2) over one epoll
   * set (Linux x86_64 or arm64 with glibc; fails to construct elsewhere). `socket`: a
   * `net.Socket` per check, portable. `auto` (default): native where it works, else socket.
   */
  connect?: 'auto' | 'native' | 'socket';
}

/** The real executor: sockets, undici and child processes. */
export class NetworkExecutor implements CheckExecutor {
  private readonly dispatchers = new DispatcherCache();
  private readonly pinger = new Pinger();
  private readonly mode: 'auto' | 'native' | 'socket';
  private native: NativeConnectLane | Error | undefined;
  /**
   * What the scheduler sees as `lane`: it opens the native lane (koffi, two epoll sets) on
   * the first connect check only, so a process that never checks TCP never loads it.
   */
  private readonly front: CheckLane = {
    accepts: (request) => request.check.type === 'connect' && (this.opened()?.accepts(request) ?? false),
    start: (request, token, settle) => (this.opened() as NativeConnectLane).start(request, token, settle),
    cancel: (handle) => this.opened()?.cancel(handle),
  };

  constructor(options: NetworkExecutorOptions = {}) {
    const mode = options.connect ?? 'auto';
    if (mode !== 'auto' && mode !== 'native' && mode !== 'socket') {
      throw new HealthError('HEALTH_INVALID_OPTION', "connect must be 'auto', 'native' or 'socket'", {
        field: 'connect',
      });
    }
    this.mode = mode;
    if (mode === 'native') {
      const lane = NativeConnectLane.open();
      if (lane instanceof Error) {
        throw new HealthError('HEALTH_CHECK_FAILED_TO_START', `native connect is not available: ${lane.message}`, {
          cause: lane,
        });
      }
      this.native = lane;
    }
  }

  /** The batched connect path (opened on the first connect check); undefined with `connect: 'socket'`. */
  get lane(): CheckLane | undefined {
    return this.mode === 'socket' ? undefined : this.front;
  }

  /** The native lane, opening it in `auto` mode; undefined where it cannot work. */
  private opened(): NativeConnectLane | undefined {
    if (this.native === undefined && this.mode === 'auto') this.native = NativeConnectLane.open();
    return this.native instanceof NativeConnectLane ? this.native : undefined;
  }

  /**
   * Which path `connect` checks take: `native` (with its counters: checks in flight,
   * sockets opened, checks run on a reused socket), or `socket` (and why, when native was
   * wanted but could not be had).
   */
  get connectPath(): {
    path: 'native' | 'socket';
    reason?: string;
    counters?: { inFlight: number; opened: number; reused: number; polls: number; harvested: number };
  } {
    const lane = this.opened();
    if (lane) return { path: 'native', counters: lane.counters };
    return this.native instanceof Error ? { path: 'socket', reason: this.native.message } : { path: 'socket' };
  }

  async run(request: CheckRequest, signal: AbortSignal): Promise<CheckResult> {
    const { check } = request;
    const port = request.port;
    const needPort = (): number => {
      if (port === undefined) throw new TypeError(`${check.type} check without a port`);
      return port;
    };
    switch (check.type) {
      case 'on':
        return pass();
      case 'off':
        return fail('manual-off', 'check is off');
      case 'ping':
        return this.pinger.ping(request.address, signal);
      case 'connect': {
        const lane = this.opened();
        return lane?.accepts(request) ? lane.run(request, signal) : runConnect(request, needPort(), signal);
      }
      case 'negotiate':
        return runNegotiate(request, check, needPort(), signal, this.dispatchers);
      case 'external':
        return runExternal(request, check, signal);
      case 'agent':
        return runAgent(request, check, signal);
      case 'dns':
        return runDns(request, check, needPort(), signal);
      case 'smtp':
      case 'pop3':
      case 'imap':
      case 'ftp':
        return runGreeting(request, check, needPort(), signal);
      case 'tls':
        return runTls(request, check, needPort(), signal);
      case 'send-expect':
        return runSendExpect(request, check, needPort(), signal);
    }
  }

  /** Closes pooled HTTP dispatchers, the ICMP sockets and the connect lane's sockets. */
  async close(): Promise<void> {
    if (this.native instanceof NativeConnectLane) this.native.close();
    await Promise.all([this.dispatchers.close(), this.pinger.close()]);
  }
}
