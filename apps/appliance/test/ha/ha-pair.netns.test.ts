import { fileURLToPath } from 'node:url';
import type { Host } from '@sluice/testkit';
import { describe, expect, it } from 'vitest';
import type { HaStatus } from '../../src/model/ha-status.js';
import { FixtureNode, pairDirs, perTest, waitFor } from './fixture-node.js';

const NODE = fileURLToPath(new URL('./fixtures/ha-node.mjs', import.meta.url));
const MASTER = '192.0.2.1';
const SLAVE = '192.0.2.2';
const ADMIN_PORT = '9080';

type Status = HaStatus & { editable: boolean; version: number };

class Appliance extends FixtureNode<Status> {
  constructor(host: Host, dir: string, args: string[]) {
    super(host, NODE, dir, args);
  }
  engineCalls(): string[] {
    return this.lines('ENGINE');
  }
}

const each = perTest();

/** A master and a slave on one cable; both data directories hold version 2 with the heartbeat section. */
async function pair(): Promise<{ master: Appliance; slave: Appliance }> {
  const lab = await each.lab();
  const a = await lab.host('lba');
  const b = await lab.host('lbb');
  await lab.link(a, b, { aIf: 'eth0', bIf: 'eth0', aAddrs: [`${MASTER}/24`], bAddrs: [`${SLAVE}/24`] });
  const { masterDir, slaveDir } = await pairDirs(each, 'ha', SLAVE);
  const master = new Appliance(a, masterDir, ['master', ADMIN_PORT]);
  const slave = new Appliance(b, slaveDir, ['slave', ADMIN_PORT, `master@${MASTER}`]);
  await master.start();
  await slave.start();
  await waitFor('master active', () => master.status()?.state === 'active');
  await waitFor('slave hears the master', () => slave.status()?.link === 'up');
  return { master, slave };
}

describe('HA pair of appliance nodes in network namespaces', () => {
  it('the master is active and editable, the slave passive and refusing edits; commits replicate', async () => {
    const { master, slave } = await pair();
    expect(master.status()).toMatchObject({
      enabled: true,
      role: 'master',
      state: 'active',
      link: 'up',
      editable: true,
    });
    expect(master.status()?.peer).toMatchObject({ name: 'lb2', address: SLAVE });
    expect(master.engineCalls()).toEqual(['setActive false', 'setActive true']);
    expect(slave.status()).toMatchObject({ role: 'slave', state: 'passive', editable: false });
    expect(slave.status()?.peer).toMatchObject({ name: 'master', address: MASTER });
    expect(slave.engineCalls()).toEqual(['setActive false']);
    master.signal('SIGHUP');
    await waitFor('the slave stores version 3', () => slave.engineCalls().includes('apply 3'));
    await waitFor('the master knows the slave has 3', () => master.status()?.peer?.configVersion === 3);
    expect(master.status()?.warnings).toEqual([]);
    expect(slave.status()?.version).toBe(3);
  });

  it('stopping the master makes the slave active (setActive(true)); its return takes the role back', async () => {
    const { master, slave } = await pair();
    master.signal('SIGTERM');
    await master.process?.waitForLine('STOPPED', 10_000);
    await waitFor('slave active', () => slave.status()?.state === 'active');
    expect(slave.engineCalls()).toEqual(['setActive false', 'setActive true']);
    expect(slave.status()?.editable).toBe(true);
    expect(master.engineCalls().at(-1)).toBe('setActive false');
    await waitFor('the slave warns that the peer is silent', () =>
      slave.status()?.warnings.some((w) => w.startsWith('no heartbeat from master')),
    );
    // Auto-failback: the master returns and becomes active again; the slave lets go.
    await master.start();
    await waitFor('master active again', () => master.status()?.state === 'active');
    await waitFor('slave passive again', () => slave.status()?.state === 'passive');
    expect(slave.engineCalls().at(-1)).toBe('setActive false');
  });

  it('takeover on the slave and standby hand the active role over and back', async () => {
    const { master, slave } = await pair();
    slave.signal('SIGUSR1');
    await slave.process?.waitForLine('TAKEOVER', 10_000);
    expect(slave.status()).toMatchObject({ state: 'active', editable: true });
    await waitFor('master passive', () => master.status()?.state === 'passive');
    expect(master.status()?.editable).toBe(false);
    expect(master.engineCalls().at(-1)).toBe('setActive false');
    expect(slave.engineCalls().at(-1)).toBe('setActive true');
    slave.signal('SIGUSR2');
    await slave.process?.waitForLine('STANDBY', 10_000);
    await waitFor('master active', () => master.status()?.state === 'active');
    expect(slave.status()?.state).toBe('passive');
    expect(master.engineCalls().at(-1)).toBe('setActive true');
  });

  it('a cut cable makes both active; back together the slave releases and catches up with the version made meanwhile', async () => {
    const { master, slave } = await pair();
    await master.host.ip(['link', 'set', 'eth0', 'down']);
    await waitFor('slave active alone', () => slave.status()?.state === 'active');
    expect(master.status()?.state).toBe('active');
    master.signal('SIGHUP');
    await master.process?.waitForLine('REPLICATED', 15_000);
    expect(master.status()?.warnings.some((w) => w.startsWith('replication to lb2 failed'))).toBe(true);
    expect(slave.status()?.version).toBe(2);
    await master.host.ip(['link', 'set', 'eth0', 'up']);
    await waitFor('slave passive again', () => slave.status()?.state === 'passive');
    await waitFor('slave caught up', () => slave.engineCalls().includes('apply 3'));
    expect(master.status()?.state).toBe('active');
    await waitFor('warnings clear', () => master.status()?.warnings.length === 0);
    expect(slave.status()).toMatchObject({ version: 3, editable: false });
  });
});
