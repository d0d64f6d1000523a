import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab, type NamespaceProcess } from '@sluice/testkit';
import type { HaproxyConfig } from '../../src/index.js';
import { Supervisor, type SupervisorOptions } from '../../src/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

export const CLIENT = '192.0.2.2';
export const VIP = '192.0.2.1';
export const CLIENT6 = '2001:db8:1::2';
export const VIP6 = '2001:db8:1::1';
export const LB_INSIDE = '198.51.100.1';
export const SERVERS = ['198.51.100.11', '198.51.100.12'] as const;

/**
 * client (192.0.2.2, 2001:db8:1::2) -- lb (192.0.2.1, 2001:db8:1::1 | 198.51.100.1) -- switch -- s1 (.11), s2 (.12).
 * HAProxy runs in `lb`; its sockets and files live in a temporary directory of the host.
 */
export interface Rig {
  lab: Lab;
  client: Host;
  lb: Host;
  servers: Host[];
  dir: string;
  supervisor(options?: Partial<SupervisorOptions>): Supervisor;
  /** Starts the echo server on a real server host (answers JSON with its name and the headers it saw). */
  echo(host: Host, name: string, port: number): Promise<NamespaceProcess>;
  /** curl from the client; returns status, headers and body. */
  curl(args: string[]): Promise<{ status: number; headers: Record<string, string>; body: string }>;
  /** Runs a fixture script with Node inside a host. */
  node(host: Host, script: string, args: string[], timeoutMs?: number): Promise<string>;
  fixture(script: string): string;
  destroy(): Promise<void>;
}

export async function makeRig(): Promise<Rig> {
  const lab = await Lab.create();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-haproxy-rig-'));
  const client = await lab.host('client');
  const lb = await lab.host('lb');
  await lab.link(client, lb, { aAddrs: [`${CLIENT}/24`, `${CLIENT6}/64`], bAddrs: [`${VIP}/24`, `${VIP6}/64`] });
  const sw = await lab.switch('sw');
  await lab.attach(lb, sw, [`${LB_INSIDE}/24`]);
  const servers: Host[] = [];
  for (const [i, address] of SERVERS.entries()) {
    const host = await lab.host(`s${i + 1}`);
    await lab.attach(host, sw, [`${address}/24`]);
    servers.push(host);
  }
  const supervisors: Supervisor[] = [];
  const rig: Rig = {
    lab,
    client,
    lb,
    servers,
    dir,
    supervisor(options = {}) {
      const supervisor = new Supervisor({
        configPath: join(dir, 'haproxy.cfg'),
        masterSocket: join(dir, 'master.sock'),
        stateFile: join(dir, 'server-state'),
        launcher: (args) =>
          spawn('ip', ['netns', 'exec', lb.netns, 'haproxy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
        ...options,
      });
      supervisors.push(supervisor);
      return supervisor;
    },
    async echo(host, name, port) {
      const child = host.spawn(process.execPath, [join(FIXTURES, 'echo-server.mjs'), name, '0.0.0.0', String(port)]);
      await child.waitForLine('READY', 30_000);
      return child;
    },
    async curl(args) {
      const { stdout } = await client.exec('curl', ['-s', '-S', '-i', '--max-time', '5', ...args]);
      const [head = '', ...rest] = stdout.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
    },
    async node(host, script, args, timeoutMs = 60_000) {
      const { stdout } = await host.node(join(FIXTURES, script), args, timeoutMs);
      return stdout.trim();
    },
    fixture: (script) => join(FIXTURES, script),
    async destroy() {
      for (const s of supervisors) await s.stop();
      await lab.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * The supervisor tests' configuration: one frontend on the VIP that stamps each answer with
 * `X-Generation: <generation>` (so a test sees which configuration served it), balancing
 * over SERVERS; `checked` adds fast health checks.
 */
export function generationModel(dir: string, generation: string, checked = false): HaproxyConfig {
  return {
    global: { adminSocket: { path: join(dir, 'admin.sock') }, log: [] },
    defaults: { timeouts: { connect: 2000, client: 10_000, server: 10_000 } },
    frontends: [
      {
        name: 'web',
        binds: [{ address: VIP, ports: [80] }],
        headers: [{ action: 'set', name: 'X-Generation', value: generation }],
        defaultBackend: 'app',
      },
    ],
    backends: [
      {
        name: 'app',
        balance: { algorithm: 'roundrobin' },
        ...(checked ? { healthCheck: { intervalMs: 200, rise: 1, fall: 1 } } : {}),
        servers: SERVERS.map((address, i) => ({ name: `s${i + 1}`, address, port: 8080 })),
      },
    ],
  };
}
