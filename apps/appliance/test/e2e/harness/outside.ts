import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from './api.js';
import { CLI, firstLogin } from './appliance.js';
import { haEnginePidFile, killHaEngine } from './ha-engine.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `count` distinct TCP ports free on 127.0.0.1 now (other suites run at the same time:
 * never a fixed one). Held open together until all are chosen, so no two are the same.
 */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Every IPv4 and IPv6 address of the test's own namespace (`ip -o addr`), one line each. */
export function ownAddresses(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['-o', 'addr', 'show'], { encoding: 'utf8' }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/**
 * The real daemon run as `serve --netns NAME` from the test's own namespace (as an
 * administrator runs it on a host whose data plane lives in a namespace): everything it
 * does to the network must happen in NAME. Its API listens on 127.0.0.1 only, on free ports.
 */
export class OutsideAppliance {
  readonly dataDir: string;
  readonly api: ApiClient;
  private readonly child: ChildProcess;
  private output = '';

  private constructor(dataDir: string, port: number, child: ChildProcess) {
    this.dataDir = dataDir;
    this.api = new ApiClient({ host: '127.0.0.1', port });
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-64 * 1024);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  get log(): string {
    return this.output;
  }

  static async start(netns: string): Promise<OutsideAppliance> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the appliance first`);
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-e2e-outside-'));
    const [port = 0, httpsPort = 0] = await freePorts(2);
    const args = ['--netns', netns, '--host', '127.0.0.1', '--port', String(port), '--https-port', String(httpsPort)];
    const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const appliance = new OutsideAppliance(dataDir, port, child);
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`serve --netns ${netns} exited (${child.exitCode ?? child.signalCode}):\n${appliance.log}`);
      }
      const status = await appliance.api.raw('GET', '/health', undefined, {}, 2_000).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline)
        throw new Error(`serve --netns ${netns}: no /api/v1/health in 90 s:\n${appliance.log}`);
      await sleep(250);
    }
    await firstLogin(appliance.api, dataDir);
    return appliance;
  }

  /** SIGTERM, SIGKILL after 10 s; the data directory goes too. */
  async close(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await killHaEngine(haEnginePidFile(this.dataDir));
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
