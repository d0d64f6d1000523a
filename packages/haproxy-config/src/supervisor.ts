import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { type Diagnostic, validate } from './check.js';
import { HaproxyConfigError } from './errors.js';
import type { HaproxyConfig } from './model.js';
import { render } from './render.js';
import type { ProcessRunner } from './runner.js';
import { MasterClient, type RuntimeClient } from './runtime.js';
import type { ProcEntry } from './runtime-parse.js';
import type { CliTransport } from './socket.js';

/**
 * Starts the HAProxy master with these arguments; replaceable to run it elsewhere (a
 * namespace). Pass `options` on to `spawn`: they put HAProxy in its own session with its
 * output in a file, so that it outlives the process that started it.
 */
export type Launcher = (args: string[], options: SpawnOptions) => ChildProcess;

export interface SupervisorOptions {
  /** Where the configuration is written. */
  configPath: string;
  /** The master CLI socket (`-S`). */
  masterSocket: string;
  /**
   * Where server states (drain, maint, weight) are saved before each reload and loaded by
   * the new worker. Set into `global.serverStateFile` of a model that has none.
   */
  stateFile?: string;
  /** Default `haproxy`. */
  binary?: string;
  launcher?: Launcher;
  /** Runs `haproxy -c` (tests). */
  runner?: ProcessRunner;
  /** Replaces the master socket (tests). */
  masterTransport?: CliTransport;
  /** Reloads asked for within this window become one (default 50 ms). */
  coalesceMs?: number;
  /** How long a start or reload may take (default 15000 ms). */
  readyTimeoutMs?: number;
  /** Per socket call (default 5000 ms). */
  socketTimeoutMs?: number;
  /** Start HAProxy again with the last applied configuration when it exits on its own (default true). */
  restart?: boolean;
  /** Delay before such a restart (default 1000 ms). */
  restartDelayMs?: number;
  /** HAProxy's standard output and error (default `<configPath>.out`, emptied at each start). */
  outputPath?: string;
  /** How often an adopted master (not a child of this process) is checked for life (default 1000 ms). */
  watchIntervalMs?: number;
}

export interface ApplyResult {
  /** The configuration is the one running now. */
  applied: boolean;
  /** From `haproxy -c`: why it was refused, or its warnings. */
  diagnostics: Diagnostic[];
  /** The reload that carried it (several coalesced calls share one). */
  reload?: number;
}

interface Pending {
  text: string;
  seq: number;
  waiters: { resolve: (r: ApplyResult) => void; reject: (e: unknown) => void; diagnostics: Diagnostic[] }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Keeps one master-worker HAProxy running. `apply()` validates a configuration with
 * `haproxy -c` first; an invalid one is refused with its diagnostics and the running
 * instance keeps serving the old one. Valid ones are written and loaded by a hitless reload
 * through the master socket (listeners are handed over, old workers finish their sessions);
 * bursts are coalesced into one reload of the latest configuration.
 *
 * If HAProxy exits on its own it is started again with the last applied configuration.
 *
 * HAProxy is the data plane and outlives its supervisor: it runs in its own session (a
 * signal to the daemon's process group does not reach it), and `detach()` lets go of it
 * without stopping it. The next supervisor `adopt()`s it through the master socket, so a
 * restart of the daemon cuts no connection; only `stop()` ends it.
 *
 * Events: `exit` (code, signal, output) when the master stops unexpectedly; `restart`
 * (pid) once it runs again; `restart-failed` (error); `reload` (count).
 */
export class Supervisor extends EventEmitter {
  readonly options: SupervisorOptions;
  readonly master: MasterClient;
  private child: ChildProcess | undefined;
  /** The master pid of an HAProxy adopted from an earlier supervisor (not our child). */
  private adopted: number | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private pending: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private reloads = 0;
  private sequence = 0;
  private validating = 0;
  private current: string | undefined;
  private started = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(options: SupervisorOptions) {
    super();
    this.options = options;
    this.master = new MasterClient({
      socketPath: options.masterSocket,
      timeoutMs: options.socketTimeoutMs ?? 5000,
      ...(options.masterTransport ? { transport: options.masterTransport } : {}),
    });
  }

  /** The worker's runtime API, through the master socket. */
  runtime(): RuntimeClient {
    return this.master.worker('@1');
  }

  get pid(): number | undefined {
    return this.child?.pid ?? this.adopted;
  }

  /** The configuration text now running. */
  get running(): string | undefined {
    return this.current;
  }

  private text(config: HaproxyConfig | string): string {
    if (typeof config === 'string') return config;
    const stateFile = this.options.stateFile;
    if (stateFile === undefined || config.global?.serverStateFile !== undefined) return render(config);
    return render({ ...config, global: { ...config.global, serverStateFile: stateFile } });
  }

  private async writeConfig(text: string): Promise<void> {
    const tmp = `${this.options.configPath}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, this.options.configPath);
  }

  private async ensureStateFile(): Promise<void> {
    const file = this.options.stateFile;
    if (file === undefined) return;
    try {
      await stat(file);
    } catch {
      // A state file with only its version line: nothing to restore yet, and no warning.
      await writeFile(file, '1\n', { mode: 0o600 });
    }
  }

  /** Validates and starts HAProxy; resolves once a worker answers. */
  async start(config: HaproxyConfig | string): Promise<ApplyResult> {
    if (this.pid !== undefined) throw new HaproxyConfigError('HAPROXY_START_FAILED', 'already started');
    const text = this.text(config);
    await this.ensureStateFile();
    const result = await validate(text, this.validateOptions());
    if (!result.valid) return { applied: false, diagnostics: result.diagnostics };
    await this.writeConfig(text);
    await this.launch();
    this.current = text;
    this.started = true;
    return { applied: true, diagnostics: result.diagnostics, reload: 0 };
  }

  private validateOptions() {
    return {
      ...(this.options.binary ? { binary: this.options.binary } : {}),
      ...(this.options.runner ? { runner: this.options.runner } : {}),
    };
  }

  /**
   * Takes over the HAProxy master an earlier supervisor left answering on the master socket
   * (the daemon restarted): the same process keeps serving, so no connection is cut. A
   * `config` other than the one it runs is validated and loaded by a hitless reload; an
   * invalid one is refused (applied: false) and the adopted HAProxy keeps its own.
   * Resolves undefined, adopting nothing, when no master answers: `start()` one then.
   */
  async adopt(config: HaproxyConfig | string): Promise<ApplyResult | undefined> {
    if (this.pid !== undefined) throw new HaproxyConfigError('HAPROXY_START_FAILED', 'already started');
    let procs: ProcEntry[];
    try {
      procs = await this.master.showProc();
    } catch {
      return undefined; // no socket, or nobody behind it
    }
    const pid = procs.find((p) => p.role === 'master')?.pid;
    if (pid === undefined) return undefined;
    // A master whose worker failed serves nothing: reload it even with the same text.
    const serving = procs.some((p) => p.role === 'worker' && !p.old);
    const text = this.text(config);
    this.adopted = pid;
    this.started = true;
    this.stopping = false;
    // The file on disk is what the adopted master loaded last (it is written before each reload).
    this.current = await readFile(this.options.configPath, 'utf8').catch(() => undefined);
    this.watch();
    if (this.current === text && serving) return { applied: true, diagnostics: [], reload: 0 };
    await this.ensureStateFile();
    const result = await validate(text, this.validateOptions());
    if (!result.valid) return { applied: false, diagnostics: result.diagnostics };
    return { applied: true, diagnostics: result.diagnostics, reload: await this.reload(text) };
  }

  /** An adopted master is not our child, so no `exit` event: its pid is checked instead. */
  private watch(): void {
    const pid = this.adopted;
    if (pid === undefined) return;
    this.watchTimer = setInterval(() => {
      if (this.adopted !== pid || alive(pid)) return;
      clearInterval(this.watchTimer);
      this.watchTimer = undefined;
      this.adopted = undefined;
      if (this.stopping) return;
      this.emit('exit', null, null, '');
      this.scheduleRestart();
    }, this.options.watchIntervalMs ?? 1000);
    this.watchTimer.unref();
  }

  private outputPath(): string {
    return this.options.outputPath ?? `${this.options.configPath}.out`;
  }

  /** A launcher that ignores the spawn options may give pipes: what came through them. */
  private piped = '';

  private async output(): Promise<string> {
    const text = await readFile(this.outputPath(), 'utf8').catch(() => '');
    return `${text}${this.piped}`.slice(-16_384);
  }

  private async launch(): Promise<void> {
    const args = ['-W', '-S', `${this.options.masterSocket},mode,600`, '-f', this.options.configPath];
    // Its own session (no signal to the daemon's group reaches it) and its output in a file
    // rather than a pipe that would break when the daemon exits.
    const fd = openSync(this.outputPath(), 'w', 0o600);
    const spawnOptions: SpawnOptions = { detached: true, stdio: ['ignore', fd, fd] };
    let child: ChildProcess;
    try {
      child = this.options.launcher
        ? this.options.launcher(args, spawnOptions)
        : spawn(this.options.binary ?? 'haproxy', args, spawnOptions);
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.piped = '';
    const collect = (chunk: Buffer) => {
      this.piped = (this.piped + chunk.toString('utf8')).slice(-16_384);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let exited = false;
    let failure = '';
    child.once('exit', (code, signal) => {
      exited = true;
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      void this.output().then((output) => {
        this.emit('exit', code, signal, output);
        this.scheduleRestart();
      });
    });
    child.once('error', (cause) => {
      exited = true;
      failure = cause.message;
      if (!this.stopping) void this.output().then((output) => this.emit('exit', null, null, `${output}${failure}`));
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 15_000);
    while (Date.now() < deadline) {
      if (exited) {
        const output = `${await this.output()}${failure}`;
        throw new HaproxyConfigError('HAPROXY_START_FAILED', `haproxy exited at start: ${output.trim()}`);
      }
      try {
        const procs = await this.master.showProc();
        if (procs.some((p) => p.role === 'worker' && !p.old)) return;
      } catch {
        // The master socket is not there yet.
      }
      await sleep(50);
    }
    child.kill('SIGKILL');
    const output = await this.output();
    throw new HaproxyConfigError('HAPROXY_START_FAILED', `no worker within the ready timeout: ${output.trim()}`);
  }

  private scheduleRestart(): void {
    if (!this.started || this.options.restart === false || this.restartTimer) return;
    this.restartTimer = setTimeout(async () => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      try {
        // The file on disk is the last configuration that was applied.
        await this.launch();
        this.emit('restart', this.child?.pid);
      } catch (error) {
        // The failed child's exit schedules the next attempt.
        this.emit('restart-failed', error);
      }
    }, this.options.restartDelayMs ?? 1000);
  }

  /**
   * Applies a configuration. Refused (applied: false, with HAProxy's diagnostics) when it
   * does not validate: the running one stays. Calls that arrive while a reload waits are
   * folded into it; each caller gets the result of the reload that carried its text.
   */
  async apply(config: HaproxyConfig | string): Promise<ApplyResult> {
    if (this.stopping || this.pid === undefined) {
      throw new HaproxyConfigError('HAPROXY_SUPERVISOR_STOPPED', 'the supervisor is not running');
    }
    const text = this.text(config);
    const seq = ++this.sequence;
    this.validating++;
    let result: Awaited<ReturnType<typeof validate>>;
    try {
      result = await validate(text, this.validateOptions());
    } finally {
      this.validating--;
    }
    if (!result.valid) return { applied: false, diagnostics: result.diagnostics };
    return new Promise<ApplyResult>((resolve, reject) => {
      const waiter = { resolve, reject, diagnostics: result.diagnostics };
      if (this.pending) {
        // The newest call wins, whatever order the validations finished in.
        if (seq > this.pending.seq) {
          this.pending.text = text;
          this.pending.seq = seq;
        }
        this.pending.waiters.push(waiter);
        return;
      }
      this.pending = { text, seq, waiters: [waiter] };
      this.arm();
    });
  }

  /** Flushes after the coalescing window, and not while another apply is still validating. */
  private arm(): void {
    this.timer = setTimeout(() => {
      if (this.validating > 0) {
        this.arm();
        return;
      }
      this.timer = undefined;
      this.chain = this.chain.then(() => this.flush());
    }, this.options.coalesceMs ?? 50);
  }

  private async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    this.timer = undefined;
    if (!pending) return;
    try {
      const reload = await this.reload(pending.text);
      for (const w of pending.waiters) w.resolve({ applied: true, diagnostics: w.diagnostics, reload });
    } catch (error) {
      for (const w of pending.waiters) w.reject(error);
    }
  }

  /** Saves server states, writes the text, reloads, and waits for the new worker. */
  private async reload(text: string): Promise<number> {
    if (this.stopping || this.pid === undefined) {
      throw new HaproxyConfigError('HAPROXY_SUPERVISOR_STOPPED', 'the supervisor stopped before the reload');
    }
    if (this.options.stateFile !== undefined) {
      await writeFile(this.options.stateFile, await this.runtime().dumpServersState(), { mode: 0o600 });
    }
    const before = await this.master.showProc();
    const oldWorkers = new Set(before.filter((p) => p.role === 'worker').map((p) => p.pid));
    await this.writeConfig(text);
    await this.master.reload();
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 15_000);
    let last: ProcEntry[] = before;
    while (Date.now() < deadline) {
      await sleep(50);
      try {
        last = await this.master.showProc();
      } catch {
        continue; // the master is re-executing
      }
      if (last.some((p) => p.role === 'worker' && !p.old && !oldWorkers.has(p.pid))) {
        this.reloads++;
        this.current = text;
        this.emit('reload', this.reloads);
        return this.reloads;
      }
    }
    throw new HaproxyConfigError(
      'HAPROXY_RELOAD_FAILED',
      `no new worker after the reload: ${last.map((p) => `${p.role} ${p.pid}${p.old ? ' (old)' : ''}`).join(', ')}`,
    );
  }

  /** Ends the supervision: no more reloads or restarts; queued applies are rejected. */
  private halt(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    for (const w of pending?.waiters ?? []) {
      w.reject(new HaproxyConfigError('HAPROXY_SUPERVISOR_STOPPED', 'the supervisor stopped before the reload'));
    }
  }

  /**
   * Lets go of HAProxy and leaves it serving (the daemon stops or restarts): the next
   * supervisor on the same master socket `adopt()`s it. Waits for a reload in progress.
   */
  async detach(): Promise<void> {
    this.halt();
    await this.chain.catch(() => undefined);
    // Our child no longer holds this process's event loop open.
    this.child?.unref();
    this.child = undefined;
    this.adopted = undefined;
  }

  /** Stops HAProxy (SIGTERM to the master: workers close at once), waiting for its exit. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.halt();
    const adopted = this.adopted;
    if (adopted !== undefined) {
      this.adopted = undefined;
      await stopPid(adopted, timeoutMs);
      return;
    }
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await gone;
    clearTimeout(timer);
  }
}

/** SIGTERM to a process that is not our child, SIGKILL after `timeoutMs`; resolves once it is gone. */
async function stopPid(pid: number, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() >= deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await sleep(50);
  }
}
