// The real daemon (`dist/cli.js serve`, as users run it) inside a lab namespace, reached
// through a Unix-socket forwarder to its API (:9080 in the namespace). Shared by the HA and
// ECMP benchmarks and the cluster's netns test. The daemon runs inside the namespace, so
// that killing every process there (a node's death) takes everything it started with it.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Host, type NamespaceProcess, run, waitFor } from '@sluice/testkit';
import { ApiClient } from './api.ts';

const CLI = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli.js');
const FORWARDER = join(import.meta.dirname, '..', 'fixtures', 'unix-forward.mjs');
export const NODE_PASSWORD = 'bench-Password-42!';

/** One appliance: its data directory (kept across restarts), its daemon, the API through a forwarder. */
export class ServeNode {
  readonly label: string;
  readonly host: Host;
  readonly dataDir: string;
  readonly api: ApiClient;
  daemon: NamespaceProcess | undefined;
  private readonly socket: string;
  private readonly args: readonly string[];
  private readonly env: Readonly<Record<string, string>>;

  /** `args` follow `serve --data-dir DIR`; `env` is added to the daemon's environment. */
  constructor(
    label: string,
    host: Host,
    root: string,
    options: { args?: readonly string[]; env?: Record<string, string> } = {},
  ) {
    this.label = label;
    this.host = host;
    this.dataDir = mkdtempSync(join(root, `${label}-`));
    this.socket = `${this.dataDir}.api.sock`;
    this.api = new ApiClient(this.socket);
    this.args = options.args ?? [];
    this.env = options.env ?? {};
  }

  /** `serve` in the namespace. */
  spawn(): void {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the appliance first (npm run build)`);
    const env = Object.entries(this.env).map(([k, v]) => `${k}=${v}`);
    this.daemon = this.host.spawn('env', [
      ...env,
      process.execPath,
      CLI,
      'serve',
      '--data-dir',
      this.dataDir,
      ...this.args,
    ]);
  }

  /** The forwarder: a Unix socket to the API (:9080 in the namespace). */
  async startForwarder(): Promise<void> {
    const forwarder = this.host.spawn(process.execPath, [FORWARDER, this.socket, '127.0.0.1', '9080']);
    await forwarder.waitForLine('READY', 30_000);
  }

  /** The daemon and its API: the forwarder, the health check, a login. */
  async startWithApi(): Promise<void> {
    await this.startForwarder();
    this.spawn();
    const daemon = this.daemon as NamespaceProcess;
    // A daemon that exits (a missing build, a refused data directory) fails the start at once.
    const exited = new Promise<never>((_resolve, reject) =>
      daemon.child.once('exit', (code, signal) => reject(new Error(`serve exited (${code ?? signal})`))),
    );
    exited.catch(() => undefined);
    const healthy = waitFor(
      `${this.label}'s API`,
      async () => (await this.api.raw('GET', '/health', undefined, {}, 2_000)).status === 200,
      90_000,
    );
    await Promise.race([healthy, exited]).catch((error: Error) => {
      throw new Error(`${error.message}\nserve said:\n${daemon.log}`);
    });
    await this.login();
  }

  /** The first start's password (changed to NODE_PASSWORD), or NODE_PASSWORD. */
  private async login(): Promise<void> {
    const file = join(this.dataDir, 'initial-password');
    const initial = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (initial !== '' && (await this.api.login('admin', initial).catch(() => undefined))?.mustChangePassword) {
      await this.api.call('POST', '/session/password', { current: initial, new: NODE_PASSWORD });
    }
    await this.api.login('admin', NODE_PASSWORD);
  }

  /** The end of the daemon's output, for a failure's message. */
  log(chars = 4000): string {
    return (this.daemon?.log ?? '').slice(-chars);
  }

  /** Every process in the namespace (ip netns pids). */
  async pids(): Promise<number[]> {
    const { stdout } = await run('ip', ['netns', 'pids', this.host.netns]);
    return stdout
      .split('\n')
      .filter((l) => /^\d+$/.test(l.trim()))
      .map(Number);
  }

  /** Every process in the namespace SIGKILLed, until none is left. */
  async killProcesses(): Promise<void> {
    for (let round = 0; ; round++) {
      const pids = await this.pids();
      if (pids.length === 0) return;
      if (round > 100) throw new Error(`${this.label}: processes survive SIGKILL: ${pids.join(' ')}`);
      killAll(pids);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
