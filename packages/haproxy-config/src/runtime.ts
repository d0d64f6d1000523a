import { HaproxyConfigError } from './errors.js';
import type { Server } from './model.js';
import {
  type AdminState,
  type ProcEntry,
  type ProcessInfo,
  parseInfo,
  parseProc,
  parseServersState,
  parseSessions,
  parseStat,
  type ServerState,
  type SessionSummary,
  type StatRow,
} from './runtime-parse.js';
import { type CliTransport, unixSocketTransport } from './socket.js';
import { duration, hostPort, integer, name, oneOf, port } from './strings.js';

export interface RuntimeClientOptions {
  /** The admin (stats) socket, or the master socket with `target`. */
  socketPath?: string;
  /** Through the master socket: `@1` (the current worker) or `@!<pid>`. */
  target?: string;
  /** Per call (default 5000 ms). */
  timeoutMs?: number;
  /** Replaces the unix socket (tests). */
  transport?: CliTransport;
}

/** A server added at run time: what `add server` accepts in 2.6. */
export type DynamicServer = Pick<
  Server,
  'name' | 'address' | 'port' | 'weight' | 'maxconn' | 'check' | 'checkPort' | 'backup' | 'sendProxy'
>;

function failed(command: string, answer: string): HaproxyConfigError {
  return new HaproxyConfigError('HAPROXY_COMMAND_FAILED', `"${command}": ${answer.trim() || 'no answer'}`);
}

/**
 * HAProxy's runtime API. Every call has a timeout and fails with a coded error;
 * backend and server names are checked, so nothing can smuggle a second command (`;`).
 */
export class RuntimeClient {
  private readonly transport: CliTransport;
  private readonly prefix: string;
  readonly timeoutMs: number;

  constructor(options: RuntimeClientOptions) {
    if (options.transport) this.transport = options.transport;
    else if (options.socketPath) this.transport = unixSocketTransport(options.socketPath);
    else
      throw new HaproxyConfigError('HAPROXY_INVALID_FIELD', 'socketPath or transport is required', {
        field: 'socketPath',
      });
    if (options.target !== undefined && !/^@(?:\d+|!\d+)$/.test(options.target)) {
      throw new HaproxyConfigError(
        'HAPROXY_INVALID_FIELD',
        `target ${JSON.stringify(options.target)} is not @N or @!PID`,
        {
          field: 'target',
        },
      );
    }
    this.prefix = options.target === undefined ? '' : `${options.target} `;
    this.timeoutMs = integer(options.timeoutMs ?? 5000, 'timeoutMs', 1, 3_600_000);
  }

  /** Sends a raw command (one line, no `;`) and returns the answer text. */
  async command(command: string): Promise<string> {
    if (/[\n\r;]/.test(command)) {
      throw new HaproxyConfigError('HAPROXY_INVALID_FIELD', 'a command is one line without ";"', { field: 'command' });
    }
    return this.transport(`${this.prefix}${command}`, { timeoutMs: this.timeoutMs });
  }

  /** A command whose success is one of `ok` answers (most answer nothing). */
  private async expect(command: string, ok: readonly string[] = ['']): Promise<void> {
    const answer = await this.command(command);
    if (!ok.includes(answer.trim())) throw failed(command, answer);
  }

  private target(backend: string, server: string): string {
    return `${name(backend, 'backend')}/${name(server, 'server')}`;
  }

  async showInfo(): Promise<ProcessInfo> {
    return parseInfo(await this.command('show info'));
  }

  async showStat(): Promise<StatRow[]> {
    return parseStat(await this.command('show stat'));
  }

  async showServersState(backend?: string): Promise<ServerState[]> {
    const command = backend === undefined ? 'show servers state' : `show servers state ${name(backend, 'backend')}`;
    const answer = await this.command(command);
    if (!answer.startsWith('1\n') && answer.trim() !== '1') throw failed(command, answer);
    return parseServersState(answer);
  }

  /** The raw `show servers state` text, as the server-state file wants it. */
  async dumpServersState(): Promise<string> {
    const answer = await this.command('show servers state');
    if (!answer.startsWith('1\n')) throw failed('show servers state', answer);
    return `${answer}\n`;
  }

  async showSessions(): Promise<SessionSummary> {
    return parseSessions(await this.command('show sess'));
  }

  async setServerState(backend: string, server: string, state: AdminState): Promise<void> {
    const checked = oneOf(state, ['ready', 'drain', 'maint'], 'state');
    await this.expect(`set server ${this.target(backend, server)} state ${checked}`);
  }

  async setWeight(backend: string, server: string, weight: number): Promise<void> {
    await this.expect(`set weight ${this.target(backend, server)} ${integer(weight, 'weight', 0, 256)}`);
  }

  async enableHealth(backend: string, server: string): Promise<void> {
    await this.expect(`enable health ${this.target(backend, server)}`);
  }

  async disableHealth(backend: string, server: string): Promise<void> {
    await this.expect(`disable health ${this.target(backend, server)}`);
  }

  async enableAgent(backend: string, server: string): Promise<void> {
    await this.expect(`enable agent ${this.target(backend, server)}`);
  }

  async disableAgent(backend: string, server: string): Promise<void> {
    await this.expect(`disable agent ${this.target(backend, server)}`);
  }

  /**
   * `add server` (HAProxy 2.6: the backend must use a dynamic balance algorithm, not a
   * hash-based one). The server starts in maintenance, as HAProxy makes it; pass
   * `ready: true` to bring it into service (and start its checks) at once.
   */
  async addServer(backend: string, server: DynamicServer, options: { ready?: boolean } = {}): Promise<void> {
    const words = [`add server ${this.target(backend, server.name)}`];
    words.push(hostPort(server.address, server.port, 'server.address', 'server.port'));
    if (server.weight !== undefined) words.push(`weight ${integer(server.weight, 'server.weight', 0, 256)}`);
    if (server.maxconn !== undefined) words.push(`maxconn ${integer(server.maxconn, 'server.maxconn', 1, 10_000_000)}`);
    if (server.backup) words.push('backup');
    if (server.check) {
      words.push('check', `inter ${duration(2000, 'inter')}`);
      if (server.checkPort !== undefined) words.push(`port ${port(server.checkPort, 'server.checkPort')}`);
    }
    if (server.sendProxy !== undefined) {
      words.push(oneOf(server.sendProxy, ['v1', 'v2'], 'server.sendProxy') === 'v1' ? 'send-proxy' : 'send-proxy-v2');
    }
    const command = words.join(' ');
    const answer = await this.command(command);
    if (answer.trim() !== 'New server registered.') {
      const code = /not supported|dynamic servers|incompatible/i.test(answer)
        ? 'HAPROXY_UNSUPPORTED'
        : 'HAPROXY_COMMAND_FAILED';
      throw new HaproxyConfigError(code, `"${command}": ${answer.trim() || 'no answer'}`);
    }
    if (options.ready) {
      if (server.check) await this.enableHealth(backend, server.name);
      await this.setServerState(backend, server.name, 'ready');
    }
  }

  /** `del server`: HAProxy wants the server in maintenance and without sessions first. */
  async deleteServer(backend: string, server: string): Promise<void> {
    await this.expect(`del server ${this.target(backend, server)}`, ['Server deleted.']);
  }
}

/** The master socket of a master-worker HAProxy: its processes and reloads. */
export class MasterClient {
  private readonly transport: CliTransport;
  readonly timeoutMs: number;

  constructor(options: { socketPath?: string; timeoutMs?: number; transport?: CliTransport }) {
    if (options.transport) this.transport = options.transport;
    else if (options.socketPath) this.transport = unixSocketTransport(options.socketPath);
    else
      throw new HaproxyConfigError('HAPROXY_INVALID_FIELD', 'socketPath or transport is required', {
        field: 'socketPath',
      });
    this.timeoutMs = integer(options.timeoutMs ?? 5000, 'timeoutMs', 1, 3_600_000);
  }

  async showProc(): Promise<ProcEntry[]> {
    return parseProc(await this.transport('show proc', { timeoutMs: this.timeoutMs }));
  }

  /**
   * Asks the master to reload (re-read its configuration, start new workers, let old
   * ones finish). The 2.6 master closes the connection when it re-executes; success is
   * seen in `show proc`, which the supervisor checks.
   */
  async reload(): Promise<void> {
    try {
      const answer = await this.transport('reload', { timeoutMs: this.timeoutMs });
      if (answer.trim() !== '') throw failed('reload', answer);
    } catch (error) {
      // The master re-executing itself may cut the connection: that is the reload happening.
      if (error instanceof HaproxyConfigError && error.code === 'HAPROXY_SOCKET_ERROR') return;
      throw error;
    }
  }

  /** A runtime client for one worker through this master (`@1`: the current one). */
  worker(target = '@1'): RuntimeClient {
    return new RuntimeClient({ transport: this.transport, target, timeoutMs: this.timeoutMs });
  }
}
