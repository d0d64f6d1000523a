import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, LAN_PORT, type PairLab, pairLab, VIP4, VIP6, waitFor } from './support/pair-lab.js';

/**
 * These tests assert what happens (who takes over, what is announced, the order of the
 * states), not how fast: the failover time is the benchmark's (bench/). With the package's
 * 50/150 ms timers a 150 ms stall of a heartbeat process on a loaded 2-core test machine
 * reads as a dead peer and adds transitions the tests do not expect; these are timers such
 * a machine does not miss.
 */
const SLOW = { keepaliveMs: 100, warntimeMs: 500, deadtimeMs: 1500, initdeadMs: 3000 };

let lab: PairLab | undefined;
afterEach(async () => {
  await lab?.destroy();
  lab = undefined;
});

async function activePair(options: Parameters<typeof pairLab>[0] = {}) {
  const l = await pairLab({ timing: SLOW, ...options });
  lab = l;
  await l.start(l.a);
  await l.start(l.b);
  await waitFor('lb-a active', () => l.a.state() === 'active');
  await waitFor('lb-b hears lb-a active', () =>
    l.b
      .events()
      .some(
        (e) => (e.type === 'peer-up' || e.type === 'peer-changed') && (e.peer as { state: string }).state === 'active',
      ),
  );
  for (const vip of [VIP4, VIP6])
    await waitFor(`client served by lba on ${vip}`, async () => (await l.servedBy(vip)) === 'lba');
  return l;
}

describe('HA pair in network namespaces', () => {
  it('SIGKILL of the active node: the peer takes both floating IPs and the client is served again', async () => {
    const l = await activePair();
    expect(await l.neighbourMac(VIP4)).toBe(l.a.mac);
    expect(await l.neighbourMac(VIP6)).toBe(l.a.mac);
    await l.crash(l.a);
    await waitFor('lb-b active', () => l.b.state() === 'active');
    const takeover = l.b.events().find((e) => e.type === 'state' && e.to === 'acquiring');
    expect(takeover).toMatchObject({ from: 'passive', reason: 'peer-dead' });
    expect(
      l.b
        .events()
        .filter((e) => e.type === 'link-down')
        .map((e) => e.link),
    ).toEqual(expect.arrayContaining(['lan', 'direct']));
    for (const vip of [VIP4, VIP6])
      await waitFor(`client served by lbb on ${vip}`, async () => (await l.servedBy(vip)) === 'lbb');
    // The client's neighbour entries moved to lb-b's MAC: the announcements did it (its
    // probes are set to wait a minute).
    expect(await l.neighbourMac(VIP4)).toBe(l.b.mac);
    expect(await l.neighbourMac(VIP6)).toBe(l.b.mac);
    const { stdout } = await l.b.host.ip(['-br', 'addr', 'show', 'dev', l.b.lanIf]);
    expect(stdout).toContain(`${VIP4}/24`);
    expect(stdout).toContain(`${VIP6}/64`);
    await waitFor('the repeated announcement', () =>
      l.b.events().some((e) => e.type === 'announce' && e.reason === 'repeat'),
    );
    expect(
      l.b
        .events()
        .filter((e) => e.type === 'announce')
        .map((e) => [e.reason, e.failures]),
    ).toEqual([
      ['acquired', []],
      ['repeat', []],
    ]);
  });

  it('with auto-failback the master takes the floating IPs back when it returns', async () => {
    const l = await activePair();
    await l.crash(l.a);
    await waitFor('client served by lbb', async () => (await l.servedBy(VIP4)) === 'lbb');
    await l.revive(l.a);
    await l.start(l.a);
    await waitFor('lb-a active again', () => l.a.state() === 'active');
    expect(
      l.b
        .events()
        .filter((e) => e.type === 'state')
        .map((e) => `${e.to}:${e.reason}`),
    ).toEqual(['acquiring:peer-dead', 'active:acquired', 'releasing:failback', 'passive:released']);
    for (const vip of [VIP4, VIP6])
      await waitFor(`client served by lba on ${vip}`, async () => (await l.servedBy(vip)) === 'lba');
    const { stdout } = await l.b.host.ip(['-br', 'addr', 'show', 'dev', l.b.lanIf]);
    expect(stdout).not.toContain(VIP4);
  });

  it('without auto-failback the returning master stays passive', async () => {
    const l = await activePair({ autoFailback: false });
    await l.crash(l.a);
    await waitFor('lb-b active', () => l.b.state() === 'active');
    await l.revive(l.a);
    await l.start(l.a);
    await waitFor('lb-a hears lb-b active', () =>
      l.a.events().some((e) => e.type === 'peer-up' && (e.peer as { state: string }).state === 'active'),
    );
    // Well past the deadtime and many heartbeats: nothing moves.
    await new Promise((resolve) => setTimeout(resolve, 3 * SLOW.deadtimeMs));
    expect(l.a.state()).toBeUndefined();
    expect(l.b.state()).toBe('active');
    expect(await l.servedBy(VIP4)).toBe('lbb');
  });

  it('forced takeover (SIGUSR1) moves the floating IPs to the slave', async () => {
    const l = await activePair();
    l.b.daemon?.child.kill('SIGUSR1');
    await waitFor('lb-b active', () => l.b.state() === 'active');
    expect(
      l.a
        .events()
        .filter((e) => e.type === 'state')
        .slice(-2)
        .map((e) => `${e.to}:${e.reason}`),
    ).toEqual(['releasing:peer-takeover', 'passive:released']);
    expect(l.b.events().find((e) => e.type === 'state')).toMatchObject({ to: 'acquiring', reason: 'takeover' });
    for (const vip of [VIP4, VIP6])
      await waitFor(`client served by lbb on ${vip}`, async () => (await l.servedBy(vip)) === 'lbb');
  });

  it('one of two links cut is reported and does not fail over', async () => {
    const l = await activePair();
    await l.a.host.ip(['link', 'set', l.a.directIf, 'down']);
    await waitFor('direct link down on lb-b', () =>
      l.b.events().some((e) => e.type === 'link-down' && e.link === 'direct'),
    );
    // Several deadtimes on the remaining link alone.
    await new Promise((resolve) => setTimeout(resolve, 3 * SLOW.deadtimeMs));
    expect(l.b.events().some((e) => e.type === 'peer-dead')).toBe(false);
    expect(l.b.state()).toBeUndefined();
    expect(l.a.state()).toBe('active');
    expect(await l.servedBy(VIP4)).toBe('lba');
  });

  it('forged, replayed and truncated heartbeats are reported and ignored', async () => {
    const l = await activePair();
    // A genuine heartbeat of lb-a off the LAN (the link is broadcast, so the client hears it).
    const { stdout } = await l.client.node(join(FIXTURES, 'udp-capture.mjs'), [String(LAN_PORT), '192.0.2.1', '5000']);
    const genuine = stdout.trim();
    expect(genuine.slice(0, 8)).toBe('534c4842'); // "SLHB"
    const forged = `${genuine.slice(0, 14)}01${genuine.slice(16)}`; // state byte -> passive, MAC unchanged
    const truncated = genuine.slice(0, 60);
    const before = l.b.events().length;
    await l.client.node(join(FIXTURES, 'udp-send.mjs'), [
      '192.0.2.2',
      String(LAN_PORT),
      '5',
      genuine,
      forged,
      truncated,
    ]);
    await waitFor('the rejections', () => {
      const reasons = new Set(
        l.b
          .events()
          .filter((e) => e.type === 'packet-rejected')
          .map((e) => e.reason),
      );
      return ['replay', 'bad-mac', 'truncated'].every((r) => reasons.has(r));
    });
    expect(l.b.state()).toBeUndefined();
    expect(l.a.state()).toBe('active');
    // The forged "passive" never reached the state machine: lb-b still sees lb-a active.
    expect(
      l.b
        .events()
        .slice(before)
        .some((e) => e.type === 'peer-changed' && (e.peer as { state: string }).state === 'passive'),
    ).toBe(false);
  });

  it('all heartbeat links cut, ping node reachable by both: the slave takes over; on healing the master wins and re-announces', async () => {
    const l = await activePair({ pingClient: true });
    await l.cutHeartbeats(l.b);
    await waitFor('lb-b active', () => l.b.state() === 'active');
    expect(l.b.events().find((e) => e.type === 'state')).toMatchObject({ to: 'acquiring', reason: 'peer-dead' });
    expect(l.a.state()).toBe('active');
    await l.cutHeartbeats(l.b, false);
    await waitFor('lb-b passive again', () => l.b.state() === 'passive');
    expect(
      l.b
        .events()
        .filter((e) => e.type === 'state')
        .map((e) => `${e.to}:${e.reason}`),
    ).toEqual(['acquiring:peer-dead', 'active:acquired', 'releasing:split-brain', 'passive:released']);
    // Which of the two notices the split brain first is a race; lb-a re-announces either way.
    await waitFor('lb-a re-announces', () =>
      l.a
        .events()
        .some((e) => e.type === 'announce' && (e.reason === 'split-brain-recovered' || e.reason === 'peer-returned')),
    );
    for (const vip of [VIP4, VIP6])
      await waitFor(`client served by lba on ${vip}`, async () => (await l.servedBy(vip)) === 'lba');
    expect(await l.neighbourMac(VIP4)).toBe(l.a.mac);
    expect(await l.neighbourMac(VIP6)).toBe(l.a.mac);
  });

  it('a node that cannot reach its ping node does not take over until it can', async () => {
    const l = await activePair({ pingClient: true });
    await l.blockPing(l.b);
    await waitFor('lb-b loses its ping node', () =>
      l.b.events().some((e) => e.type === 'ping' && e.reachable === false),
    );
    await l.crash(l.a);
    await waitFor('takeover blocked', () => l.b.events().some((e) => e.type === 'takeover-blocked'));
    expect(l.b.state()).toBeUndefined();
    await l.blockPing(l.b, false);
    await waitFor('lb-b active', () => l.b.state() === 'active');
    for (const vip of [VIP4, VIP6])
      await waitFor(`client served by lbb on ${vip}`, async () => (await l.servedBy(vip)) === 'lbb');
  });
});
