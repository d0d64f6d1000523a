import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab } from '@sluice/testkit';
import type {
  CheckDefinition,
  CheckResult,
  TargetDefinition,
  TargetSnapshot,
  TransitionEvent,
} from '../../src/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/**
 * The checks run in `client` (192.0.2.1, 2001:db8::1), the real servers in `server`
 * (192.0.2.2, 2001:db8::2). 198.51.100.0/24 is routed to `server`, which does not forward:
 * a black hole. 192.0.2.99 is on the link but nobody answers ARP: unreachable.
 */
export interface Rig {
  lab: Lab;
  client: Host;
  server: Host;
  dir: string;
  /** Starts a fixture server (test/fixtures/server.mjs) in `server`. */
  serve(kind: 'http' | 'agent' | 'banner' | 'dns', port: number, options?: object, address?: string): Promise<void>;
  /** `connect` picks the executor's connect path (default: its own choice). */
  run(checks: RunSpec[], connect?: ConnectPath): Promise<Array<CheckResult & { latencyMs: number }>>;
  schedule(spec: {
    targets: TargetDefinition[];
    results: number;
    connect?: ConnectPath;
    concurrency?: number;
    tickMs?: number;
  }): Promise<ScheduleOutput>;
}

export type ConnectPath = 'native' | 'socket';

export interface RunSpec {
  check: CheckDefinition;
  address: string;
  port?: number;
  timeoutMs?: number;
  virtual?: { address: string; port?: number };
}

export interface ScheduleOutput {
  events: Array<{ target: string; ok: boolean; reason?: string; state: string }>;
  transitions: TransitionEvent[];
  snapshot: TargetSnapshot[];
  connectPath: {
    path: ConnectPath;
    counters?: { inFlight: number; opened: number; reused: number; harvested: number };
  };
}

export async function makeRig(): Promise<Rig> {
  const lab = await Lab.create();
  const client = await lab.host('client');
  const server = await lab.host('server');
  await lab.link(client, server, {
    aAddrs: ['192.0.2.1/24', '2001:db8::1/64'],
    bAddrs: ['192.0.2.2/24', '2001:db8::2/64'],
  });
  await client.addRoute('198.51.100.0/24', '192.0.2.2');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-health-'));
  let n = 0;
  const driver = async (spec: object): Promise<string> => {
    const file = join(dir, `spec-${n++}.json`);
    await writeFile(file, JSON.stringify(spec));
    const { stdout } = await client.node(join(FIXTURES, 'driver.mjs'), [file], 50_000);
    return stdout;
  };
  return {
    lab,
    client,
    server,
    dir,
    async serve(kind, port, options = {}, address = '::') {
      const child = server.spawn(process.execPath, [
        join(FIXTURES, 'server.mjs'),
        kind,
        address,
        String(port),
        JSON.stringify(options),
      ]);
      await child.waitForLine('READY', 20_000);
    },
    async run(checks, connect) {
      // A generous default: a loaded CI machine must not turn a pass into a timeout.
      const withTimeouts = checks.map((c) => ({ timeoutMs: 5000, ...c }));
      return JSON.parse(await driver({ mode: 'run', checks: withTimeouts, ...(connect ? { connect } : {}) }));
    },
    async schedule(spec) {
      return JSON.parse(await driver({ mode: 'schedule', ...spec }));
    },
  };
}
