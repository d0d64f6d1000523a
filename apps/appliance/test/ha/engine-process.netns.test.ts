import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Host } from '@sluice/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { HaStatus } from '../../src/model/ha-status.js';
import { haEnginePid, killHaEngine } from '../e2e/harness/ha-engine.js';
import { FixtureNode, pairDirs, perTest, waitFor } from './fixture-node.js';

// The heartbeat in the HA engine process (as the daemon runs it) against the same node with
// the heartbeat on the daemon's own event loop: the daemon's loop held for 5 s by a busy
// loop, the daemon SIGKILLed alone, the engine SIGKILLed alone. The fixture nodes run the
// real HaControl and HaEngineClient from the build, in namespaces, with a 300 ms deadtime.

const NODE = fileURLToPath(new URL('./fixtures/ha-node.mjs', import.meta.url));
const MASTER = '192.0.2.1';
const SLAVE = '192.0.2.2';
const ADMIN_PORT = '9080';

type Status = HaStatus & { editable: boolean; version: number };

const each = perTest();
const engines: string[] = [];
afterEach(async () => {
  // A fixture killed by the lab leaves its HA engine running.
  for (const pidFile of engines.splice(0)) await killHaEngine(pidFile);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pair(engine: 'process' | 'in-process') {
  process.env.SLUICE_TEST_HA_ENGINE = engine;
  const lab = await each.lab();
  const a: Host = await lab.host('lba');
  const b: Host = await lab.host('lbb');
  await lab.link(a, b, { aIf: 'eth0', bIf: 'eth0', aAddrs: [`${MASTER}/24`], bAddrs: [`${SLAVE}/24`] });
  const { masterDir, slaveDir } = await pairDirs(each, 'hae', SLAVE);
  engines.push(`${masterDir}.run/ha-engine.pid`, `${slaveDir}.run/ha-engine.pid`);
  const master = new FixtureNode<Status>(a, NODE, masterDir, ['master', ADMIN_PORT]);
  const slave = new FixtureNode<Status>(b, NODE, slaveDir, ['slave', ADMIN_PORT, `master@${MASTER}`]);
  await master.start();
  await slave.start();
  await waitFor('master active', () => master.status()?.state === 'active');
  await waitFor('slave hears the master', () => slave.status()?.link === 'up');
  return { master, slave, masterEngine: `${masterDir}.run/ha-engine.pid` };
}

/** Every state the slave has printed since its start. */
const statesOf = (node: FixtureNode<Status>) => node.lines('STATUS').map((line) => (JSON.parse(line) as Status).state);

describe('the heartbeat while the daemon is held or gone', () => {
  it('in the HA engine process, it keeps beating while the daemon loop is blocked for 5 s: the peer never takes over', async () => {
    const { master, slave } = await pair('process');
    master.signal('SIGWINCH');
    await master.process?.waitForLine('UNBLOCKED', 20_000);
    // Past the deadtime once more after the block, for a takeover that was on its way.
    await sleep(1000);
    expect(statesOf(slave)).not.toContain('active');
    expect(slave.status()).toMatchObject({ state: 'passive', link: 'up' });
    expect(master.status()?.state).toBe('active');
  });

  it('on the daemon loop (the control case), the same block makes the peer take over', async () => {
    const { master, slave } = await pair('in-process');
    master.signal('SIGWINCH');
    await master.process?.waitForLine('UNBLOCKED', 20_000);
    await waitFor('the slave took over during the block', () => statesOf(slave).includes('active'));
  });

  it('a daemon SIGKILLed alone: its engine goes on beating and holding, and the restarted daemon adopts it', async () => {
    const { master, slave, masterEngine } = await pair('process');
    const pid = await haEnginePid(masterEngine);
    expect(pid).toBeGreaterThan(0);
    master.signal('SIGKILL');
    await new Promise((resolve) => master.process?.child.once('exit', resolve));
    // Several deadtimes without the daemon: the peer hears the engine all along.
    await sleep(2000);
    expect(statesOf(slave)).not.toContain('active');
    expect(await haEnginePid(masterEngine)).toBe(pid);
    await master.start();
    await waitFor('the restarted master reports its role', () => master.status()?.state === 'active');
    expect(master.status()).toMatchObject({ state: 'active', reason: 'adopted', link: 'up' });
    expect(master.lines('LOG').some((line) => line.includes(`adopted the running engine (pid ${pid}`))).toBe(true);
    expect(statesOf(slave)).not.toContain('active');
  });

  it('the engine SIGKILLed: the peer takes over at once; the daemon starts a new engine, which takes the role back', async () => {
    const { master, slave, masterEngine } = await pair('process');
    const pid = await haEnginePid(masterEngine);
    await killHaEngine(masterEngine);
    await waitFor('the slave takes over', () => slave.status()?.state === 'active');
    await waitFor('a new engine', async () => {
      const now = await haEnginePid(masterEngine);
      return now !== undefined && now !== pid;
    });
    // autoFailback: the master's new heartbeat takes its role back.
    await waitFor('the master active again', () => master.status()?.state === 'active', 20_000);
    await waitFor('the slave passive again', () => slave.status()?.state === 'passive');
    expect(master.lines('LOG').some((line) => line.includes('is gone: starting it again'))).toBe(true);
    expect(readFileSync(masterEngine, 'utf8').trim()).not.toBe(String(pid));
  });
});

describe('one daemon per HA engine', () => {
  it('a second daemon on the same data directory is refused, and the first keeps its heartbeat', async () => {
    const { master, slave } = await pair('process');
    const second = new FixtureNode<Status>(master.host, NODE, master.dir, ['master', '9081']);
    await expect(second.start()).rejects.toThrow(/another daemon runs on this data directory/);
    await sleep(1000);
    expect(statesOf(slave)).not.toContain('active');
    expect(master.status()).toMatchObject({ state: 'active', link: 'up' });
    expect(master.lines('LOG').some((line) => line.includes('is gone'))).toBe(false);
  });
});

describe('the role moved by hand through the HA engine', () => {
  it('takeover on the slave and standby hand the active role over and back', async () => {
    const { master, slave } = await pair('process');
    slave.signal('SIGUSR1');
    const took = JSON.parse(await (slave.process?.waitForLine('TAKEOVER', 15_000) ?? '')) as Status;
    expect(took).toMatchObject({ state: 'active', reason: 'takeover' });
    await waitFor('the master lets go', () => master.status()?.state === 'passive');
    slave.signal('SIGUSR2');
    const gave = JSON.parse(await (slave.process?.waitForLine('STANDBY', 15_000) ?? '')) as Status;
    expect(gave.state).toBe('passive');
    await waitFor('the master active again', () => master.status()?.state === 'active');
    expect(slave.lines('ENGINE').at(-1)).toBe('setActive false');
  });
});
