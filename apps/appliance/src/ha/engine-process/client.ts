/**
 * The daemon's side of the HA engine process: finds the engine on its socket (a restarted
 * daemon adopts the one still running) or starts it, sends it requests, hears its events,
 * status and log lines, and starts it again if it dies under a running daemon.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { HeartbeatEventRecord, HeartbeatStatus } from '@sluice/heartbeat';
import { ApplianceError } from '../../errors.js';
import type { LogLevel } from '../../model/log-record.js';
import {
  type FromEngine,
  type Hello,
  LineChannel,
  PROTOCOL,
  type Request,
  type Results,
  type ToEngine,
} from './protocol.js';

/** The longest path a Unix socket address holds (sun_path, with its NUL). */
const SUN_PATH_MAX = 107;
/** A slow machine (an emulated one) takes seconds to start Node; an engine that exits fails at once. */
const START_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** After the engine died under a running daemon, this long before it is started again. */
const RESTART_DELAY_MS = 500;
// A shutdown hands the role over and removes the addresses: seconds at most. Past this the
// engine is killed, so that a hung engine cannot hold the daemon's stop (and systemd's
// TimeoutStopSec, longer than this, never has to kill the daemon itself).
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * `ha-engine.js` beside this module in the build (dist/); from the sources (tests run
 * them), the package's build.
 */
function defaultEntry(): string {
  const beside = fileURLToPath(new URL('./ha-engine.js', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../../dist/ha-engine.js', import.meta.url));
}

export interface HaEngineClientOptions {
  socketPath: string;
  pidFile: string;
  /** Where the engine writes what it says while no daemon listens (appended). */
  logFile: string;
  /** The engine's script (default: `ha-engine.js` beside this build). */
  entry?: string;
  netns?: string;
  /** The engine's nice value (default -10); null leaves it as the daemon's. */
  niceness?: number | null;
  log: (level: LogLevel, message: string) => void;
  /** How long `shutdown()` waits for the engine to exit before killing it (default 10 s). */
  shutdownTimeoutMs?: number;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

export class HaEngineClient {
  private readonly options: HaEngineClientOptions;
  private socket: Socket | undefined;
  private channel: LineChannel<FromEngine, ToEngine> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: HeartbeatEventRecord) => void>();
  private readonly reconnectListeners = new Set<(hello: Hello) => void>();
  private lastStatus: HeartbeatStatus | null = null;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The engine's pid, as its hello said. */
  pid: number | undefined;

  constructor(options: HaEngineClientOptions) {
    if (Buffer.byteLength(options.socketPath) > SUN_PATH_MAX) {
      throw new ApplianceError(
        'HA_ENGINE_UNAVAILABLE',
        `the HA engine's socket path ${options.socketPath} is longer than ${SUN_PATH_MAX} bytes: choose a shorter data directory`,
        { field: 'dataDir' },
      );
    }
    this.options = options;
  }

  /** The heartbeat's status as the engine last pushed it (at least once a second). */
  status(): HeartbeatStatus | null {
    return this.lastStatus;
  }

  onEvent(listener: (event: HeartbeatEventRecord) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Told after a dead engine was started again (it knows nothing: tell it the heartbeat and addresses again). */
  onRestarted(listener: (hello: Hello) => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Adopts the engine on the socket or starts one; resolves with its hello. */
  async connect(): Promise<Hello> {
    this.closing = false;
    // Nobody on the socket (no file, or an engine that died): start one. An engine that
    // answers but refuses (another daemon holds it) is this daemon's error to report.
    const found = await this.attach().catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined;
      throw error;
    });
    if (found !== undefined) {
      if (found.protocol === PROTOCOL) {
        this.options.log('info', `HA engine: adopted the running engine (pid ${found.pid}, ${found.heartbeat})`);
        return found;
      }
      // Another build's engine: it hands over (releasing what it holds) and this build's starts.
      this.options.log('warn', `HA engine: pid ${found.pid} speaks protocol ${found.protocol}: replacing it`);
      await this.request({ type: 'shutdown' }).catch(() => undefined);
      this.detach();
    }
    this.start();
    return this.attachWithin(START_TIMEOUT_MS);
  }

  /** Set while a started engine runs; an exit before it answers ends the wait. */
  private exited: string | undefined;

  private start(): void {
    const entry = this.options.entry ?? defaultEntry();
    if (!existsSync(entry)) {
      throw new ApplianceError('HA_ENGINE_UNAVAILABLE', `the HA engine's script ${entry} is missing`, {
        field: 'entry',
      });
    }
    const niceness = this.options.niceness === undefined ? -10 : this.options.niceness;
    const args = [
      entry,
      '--socket',
      this.options.socketPath,
      '--pid-file',
      this.options.pidFile,
      ...(this.options.netns ? ['--netns', this.options.netns] : []),
      ...(niceness === null ? [] : [`--niceness=${niceness}`]),
    ];
    const log = openSync(this.options.logFile, 'a', 0o600);
    try {
      // Not detached: it stays in the daemon's process group (a terminal's Ctrl-C, a test
      // killing the group reach it), and lives on when the daemon alone is killed.
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', log] });
      this.exited = undefined;
      child.once('exit', (code, signal) => {
        this.exited = `exited (${code ?? signal})`;
      });
      child.unref();
      this.options.log('info', `HA engine: started pid ${child.pid}`);
    } finally {
      closeSync(log);
    }
  }

  private async attachWithin(timeoutMs: number): Promise<Hello> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.attach();
      } catch (error) {
        const exited = this.exited;
        if (exited !== undefined || Date.now() > deadline) {
          throw new ApplianceError(
            'HA_ENGINE_UNAVAILABLE',
            `the HA engine ${exited ?? `did not answer on ${this.options.socketPath} within ${timeoutMs} ms`}: ${this.logTail()}`,
            { field: 'socket', cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private logTail(): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').slice(-2000).trim() || '(its log is empty)';
    } catch {
      return '(no log)';
    }
  }

  /** Connects to the socket and says hello. */
  private attach(): Promise<Hello> {
    return new Promise<Hello>((resolve, reject) => {
      const socket = connect(this.options.socketPath);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        this.socket = socket;
        this.channel = new LineChannel<FromEngine, ToEngine>(
          socket,
          (message) => this.receive(message),
          (reason) => this.options.log('error', `HA engine: ${reason}`),
        );
        socket.on('error', () => undefined);
        socket.on('close', () => this.closed(socket));
        this.request({ type: 'hello' }).then(
          (hello) => {
            this.pid = hello.pid;
            this.lastStatus = hello.status;
            resolve(hello);
          },
          (error: unknown) => {
            // Refused (another daemon holds it) or no answer: this socket was never ours.
            if (this.socket === socket) this.detach();
            socket.destroy();
            reject(error);
          },
        );
      });
    });
  }

  private receive(message: FromEngine): void {
    if ('id' in message) {
      const waiting = this.pending.get(message.id);
      if (waiting === undefined) return;
      this.pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.ok) waiting.resolve(message.result);
      else {
        waiting.reject(
          new ApplianceError(
            message.error.code === 'HA_DISABLED'
              ? 'HA_DISABLED'
              : message.error.code === 'HA_ENGINE_BUSY'
                ? 'HA_ENGINE_UNAVAILABLE'
                : 'HA_ENGINE_FAILED',
            message.error.message,
            message.error.field === undefined ? {} : { field: message.error.field },
          ),
        );
      }
      return;
    }
    switch (message.type) {
      case 'event':
        for (const listener of this.eventListeners) listener(message.event);
        break;
      case 'status':
        this.lastStatus = message.status;
        break;
      case 'log':
        this.options.log(message.level, message.message);
        break;
    }
  }

  request<T extends Request['type']>(request: Extract<Request, { type: T }>): Promise<Results[T]> {
    const channel = this.channel;
    if (channel === undefined) {
      return Promise.reject(
        new ApplianceError('HA_ENGINE_UNAVAILABLE', `HA engine: not connected (${request.type})`, { field: 'socket' }),
      );
    }
    const id = this.nextId++;
    return new Promise<Results[T]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ApplianceError('HA_ENGINE_UNAVAILABLE', `HA engine: no answer to ${request.type}`, { field: 'socket' }),
        );
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      channel.send({ ...request, id } as ToEngine);
    });
  }

  private closed(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.channel = undefined;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(
        new ApplianceError('HA_ENGINE_UNAVAILABLE', 'HA engine: the connection closed', { field: 'socket' }),
      );
      this.pending.delete(id);
    }
    if (this.closing) return;
    // The engine died under a running daemon: the peer takes over (it hears no heartbeat);
    // a new engine starts passive and is told everything again.
    this.lastStatus = null;
    this.options.log('error', `HA engine (pid ${this.pid}) is gone: starting it again`);
    this.restartTimer = setTimeout(() => void this.restart(), RESTART_DELAY_MS);
  }

  private async restart(): Promise<void> {
    this.restartTimer = undefined;
    if (this.closing) return;
    try {
      const hello = await this.connect();
      for (const listener of this.reconnectListeners) listener(hello);
    } catch (error) {
      this.options.log('error', `HA engine: could not start it again: ${(error as Error).message}`);
      if (!this.closing) this.restartTimer = setTimeout(() => void this.restart(), 5 * RESTART_DELAY_MS);
    }
  }

  private detach(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.channel = undefined;
    socket?.destroy();
  }

  /** Stops the engine (its heartbeat releases and hands over; standalone addresses stay) and waits for it to exit. */
  async shutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    const socket = this.socket;
    if (socket === undefined) return;
    const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const limit = this.options.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), limit);
    });
    const outcome = await Promise.race([
      this.request({ type: 'shutdown' })
        .catch(() => undefined)
        .then(() => gone),
      late,
    ]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.options.log('error', `HA engine (pid ${this.pid}) did not stop within ${limit} ms: killed`);
      if (this.pid !== undefined) {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          // Already gone between the timeout and the kill.
        }
      }
      this.detach();
    }
  }

  /** Leaves the engine running and disconnects (a daemon exiting without stopping it). */
  close(): void {
    this.closing = true;
    clearTimeout(this.restartTimer);
    this.detach();
  }
}
