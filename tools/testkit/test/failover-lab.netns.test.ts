import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressWatch, FailoverLab, startProbe } from '../src/index.js';

// The failover benchmarks' lab: a node's death must take every process of the node with
// it (a daemon's detached children too) and its cables, and the address watch must see
// the floating IP come and go.
describe('FailoverLab', { timeout: 60_000 }, () => {
  let lab: FailoverLab;

  beforeAll(async () => {
    lab = await FailoverLab.create();
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('serves the client from whichever node holds the floating IP', async () => {
    const { lba, lbb } = lab.nodes;
    await lab.startEcho(lba);
    await lab.startEcho(lbb);
    await lbb.host.addAddress(lbb.lan, FailoverLab.VIP_CIDR);
    expect(await lab.holdsVip(lbb)).toBe(true);
    expect(await lab.holdsVip(lba)).toBe(false);
    await expect.poll(() => lab.servedBy(), { timeout: 10_000 }).toBe('lbb');
    const probe = await startProbe(lab.client, FailoverLab.VIP, FailoverLab.ECHO_PORT, { durationMs: 300 });
    const result = await probe.result;
    expect(result.lastFrom).toBe('lbb');
    expect(result.replies).toBeGreaterThan(5);
    await lab.flushVip();
    expect(await lab.holdsVip(lbb)).toBe(false);
  });

  it('crash: every process of the node killed, a detached grandchild too, and both cables down', async () => {
    const { lba, lbb } = lab.nodes;
    const watch = await AddressWatch.start(lba.host, FailoverLab.VIP_CIDR);
    try {
      // A daemon whose child leaves its process group and session, as a daemon's helper may.
      lba.host.spawn(process.execPath, [
        '-e',
        "require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' }).unref(); setInterval(() => {}, 1000)",
      ]);
      await expect.poll(async () => (await lab.pids(lba)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3); // its echo server, the daemon, its child
      expect(await lab.pids(lbb)).not.toHaveLength(0); // its echo server: another node, untouched

      await lba.host.addAddress(lba.lan, FailoverLab.VIP_CIDR);
      await watch.until(true, 5_000);
      await lab.crash(lba);
      expect(await lab.pids(lba)).toEqual([]);
      expect(await lab.pids(lbb)).not.toHaveLength(0);
      const adminUp = async (ifname: string) =>
        /<[^>]*\bUP\b/.test((await lba.host.ip(['-o', 'link', 'show', 'dev', ifname])).stdout);
      expect([await adminUp(lba.lan), await adminUp(lba.cable)]).toEqual([false, false]);

      await lab.flushVip();
      await watch.until(false, 5_000);
      expect(watch.changes.map((c) => c.held)).toEqual([true, false]);
      await lab.plugCables(lba);
      expect([await adminUp(lba.lan), await adminUp(lba.cable)]).toEqual([true, true]);
    } finally {
      watch.stop();
    }
  });

  it('cutUdp drops the given ports both ways and nothing else', async () => {
    const { lba, lbb } = lab.nodes;
    await lbb.host.addAddress(lbb.lan, FailoverLab.VIP_CIDR);
    await expect.poll(() => lab.servedBy(), { timeout: 10_000 }).toBe('lbb');
    await lab.cutUdp(lbb, [FailoverLab.ECHO_PORT]);
    expect(await lab.servedBy()).toBeUndefined();
    expect((await lab.client.exec('ping', ['-c', '1', '-W', '2', lbb.lanAddress])).stdout).toContain('1 received');
    expect((await lba.host.exec('ping', ['-c', '1', '-W', '2', lbb.cableAddress])).stdout).toContain('1 received');
    await lab.cutUdp(lbb, [FailoverLab.ECHO_PORT], false);
    expect(await lab.servedBy()).toBe('lbb');
    await lab.flushVip();
  });
});
