import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Host, type NamespaceProcess } from '@sluice/testkit';
import { ApiClient } from './api.js';
import { haEnginePidFile, killHaEngine } from './ha-engine.js';

/** The built CLI; SLUICE_E2E_CLI points at another build (a copy no concurrent build can wipe). */
export const CLI = process.env.SLUICE_E2E_CLI ?? fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
const FORWARDER = fileURLToPath(new URL('../fixtures/unix-forward.mjs', import.meta.url));
export const ADMIN_PORT = 9080;
export const NEW_PASSWORD = 'e2e-lab-Password-42!';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await sleep(250);
  }
}

/** Logs in with the first-boot password from the data directory, changes it to NEW_PASSWORD and logs in again. */
export async function firstLogin(api: ApiClient, dataDir: string): Promise<void> {
  const file = join(dataDir, 'initial-password');
  const initial = await until(`${file} is written`, async () =>
    existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined,
  );
  const { mustChangePassword } = await api.login('admin', initial);
  if (!mustChangePassword) throw new Error('the first-boot password did not have to be changed');
  await api.call('POST', '/session/password', { current: initial, new: NEW_PASSWORD });
  await api.login('admin', NEW_PASSWORD);
}

/**
 * The real daemon (`node dist/cli.js serve`) inside a balancer namespace of the lab, and an
 * API client that reaches it. The daemon can be stopped (SIGTERM), killed (SIGKILL) and
 * started again on the same data directory.
 */
export class Appliance {
  readonly host: Host;
  readonly dataDir: string;
  readonly api: ApiClient;
  readonly extraArgs: readonly string[];
  /** A command the daemon runs under (`strace ...`): its argv before node's. */
  readonly wrap: readonly string[];
  daemon: NamespaceProcess | undefined;
  password: string | undefined;

  private constructor(
    netns: string,
    dataDir: string,
    socketPath: string,
    extraArgs: readonly string[],
    wrap: readonly string[],
  ) {
    this.host = new Host(netns.replace(/^.*-/, ''), netns);
    this.dataDir = dataDir;
    this.api = new ApiClient(socketPath);
    this.extraArgs = extraArgs;
    this.wrap = wrap;
  }

  /** Starts the forwarder and the daemon, logs in with the first-boot password and changes it. */
  static async start(
    netns: string,
    extraArgs: readonly string[] = [],
    options: { wrap?: readonly string[] } = {},
  ): Promise<Appliance> {
    if (!existsSync(CLI)) {
      throw new Error(
        `${CLI} is missing: build the appliance first (npx turbo run build --filter=@sluice/appliance...)`,
      );
    }
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-e2e-data-'));
    const socketPath = join(dataDir, '..', `${dataDir.split('/').pop()}.api.sock`);
    const appliance = new Appliance(netns, dataDir, socketPath, extraArgs, options.wrap ?? []);
    const forwarder = appliance.host.spawn(process.execPath, [FORWARDER, socketPath, '127.0.0.1', String(ADMIN_PORT)]);
    await forwarder.waitForLine('READY', 30_000);
    await appliance.startDaemon();
    try {
      await appliance.firstLogin();
    } catch (error) {
      // What the daemon said is what explains a login that hangs or fails.
      throw new Error(`${(error as Error).message}\nserve said:\n${appliance.daemon?.log.slice(-6000) ?? ''}`, {
        cause: error,
      });
    }
    return appliance;
  }

  /** `serve` in the namespace; resolves once the API answers its health check, fails at once if it exits. */
  async startDaemon(): Promise<void> {
    const argv = [process.execPath, CLI, 'serve', '--data-dir', this.dataDir, ...this.extraArgs];
    const [command = '', ...args] = [...this.wrap, ...argv];
    const daemon = this.host.spawn(command, args);
    this.daemon = daemon;
    // Under a tracer every traced call stops the daemon: give its start longer.
    const waitMs = this.wrap.length > 0 ? 300_000 : 90_000;
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
        throw new Error(
          `serve in ${this.host.netns} exited (${daemon.child.exitCode ?? daemon.child.signalCode}):\n${daemon.log}`,
        );
      }
      const status = await this.api.raw('GET', '/health', undefined, {}, 2_000).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the appliance in ${this.host.netns} does not answer /api/v1/health in ${waitMs / 1000} s:\n${daemon.log}`,
        );
      }
      await sleep(250);
    }
  }

  private async firstLogin(): Promise<void> {
    await firstLogin(this.api, this.dataDir);
    this.password = NEW_PASSWORD;
  }

  /** Logs in again (sessions need not survive a daemon restart). */
  async relogin(): Promise<void> {
    await this.api.login('admin', this.password ?? NEW_PASSWORD);
  }

  /** SIGTERM (or SIGKILL) and wait for the daemon to exit. */
  async stopDaemon(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', timeoutMs = 30_000): Promise<number | string | null> {
    const daemon = this.daemon;
    if (!daemon || daemon.child.exitCode !== null || daemon.child.signalCode !== null) return null;
    const exited = new Promise<number | string | null>((resolve) =>
      daemon.child.once('exit', (code, sig) => resolve(code ?? sig)),
    );
    daemon.child.kill(signal);
    const timer = setTimeout(() => daemon.child.kill('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The node dies: its daemon and its HA engine SIGKILLed at once (the daemon alone
   * leaves the engine beating and holding the addresses).
   */
  async killNode(): Promise<void> {
    await Promise.all([this.stopDaemon('SIGKILL'), killHaEngine(haEnginePidFile(this.dataDir))]);
  }

  async restart(): Promise<void> {
    await this.stopDaemon('SIGTERM');
    await this.startDaemon();
    await this.relogin();
  }

  /** Stops the daemon and the forwarder (the lab's `down` removes the namespace). */
  async close(): Promise<void> {
    await this.stopDaemon('SIGTERM', 10_000).catch(() => undefined);
    // A daemon killed by a test leaves its HA engine running.
    await killHaEngine(haEnginePidFile(this.dataDir));
    await this.host.stopProcesses();
  }
}
