import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab, type NamespaceProcess } from '@sluice/testkit';
import { afterEach } from 'vitest';
import { ConfigStore } from '../../src/store/config-store.js';

/** Polls `check` every 50 ms until it gives a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * One appliance node run by a fixture script (fixtures/*.mjs) in a namespace: it prints
 * READY once started, then `PREFIX rest` lines (STATUS <json>, ENGINE ..., ANNOUNCE ...).
 */
export class FixtureNode<Status> {
  process: NamespaceProcess | undefined;
  constructor(
    readonly host: Host,
    readonly fixture: string,
    readonly dir: string,
    readonly args: string[],
  ) {}
  start(): Promise<string> {
    this.process = this.host.spawn(process.execPath, [this.fixture, this.dir, ...this.args]);
    return this.process.waitForLine('READY', 15_000);
  }
  lines(prefix: string): string[] {
    return (this.process?.log ?? '')
      .split('\n')
      .filter((line) => line.startsWith(`${prefix} `))
      .map((line) => line.slice(prefix.length + 1));
  }
  status(): Status | undefined {
    const last = this.lines('STATUS').at(-1);
    return last === undefined ? undefined : (JSON.parse(last) as Status);
  }
  signal(name: NodeJS.Signals): void {
    this.process?.child.kill(name);
  }
}

/** A lab and temporary directories for each test of the file, removed after it. */
export function perTest(): { lab(): Promise<Lab>; dir(prefix: string): Promise<string> } {
  let lab: Lab | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await lab?.destroy();
    lab = undefined;
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return {
    async lab() {
      lab = await Lab.create();
      return lab;
    },
    async dir(prefix) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}

/**
 * The data directories of a master and a slave (`name` in their names), both holding
 * version 2: a heartbeat section on `eth0` with the slave at `slave`, `heartbeat` added to
 * it, and `config` beside it.
 */
export async function pairDirs(
  each: ReturnType<typeof perTest>,
  name: string,
  slave: string,
  extra: { heartbeat?: Record<string, unknown>; config?: Record<string, unknown> } = {},
): Promise<{ masterDir: string; slaveDir: string }> {
  const masterDir = await each.dir(`sluice-${name}-master-`);
  const slaveDir = await each.dir(`sluice-${name}-slave-`);
  const { version } = await (await ConfigStore.open(masterDir)).commit({
    config: {
      ...extra.config,
      heartbeat: {
        enabled: true,
        peer: { name: 'lb2', address: slave },
        links: [{ interface: 'eth0' }],
        key: 'a pair key of at least sixteen characters',
        autoFailback: true,
        ...extra.heartbeat,
      },
    },
    baseVersion: 1,
    author: 'admin',
    comment: 'HA pair',
  });
  await (await ConfigStore.open(slaveDir)).acceptReplica(version, 'master');
  return { masterDir, slaveDir };
}
