import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSpec } from './support/rig.js';
import { makeRig, type Rig } from './support/rig.js';

let rig: Rig;

beforeAll(async () => {
  rig = await makeRig();
});

afterAll(async () => {
  await rig?.lab.destroy();
  if (rig) await rm(rig.dir, { recursive: true, force: true });
});

describe('ping', () => {
  it('says why when ping sockets are not permitted (a new namespace allows no group)', async () => {
    const [result] = await rig.run([{ check: { type: 'ping' }, address: '192.0.2.2' }]);
    expect(result).toMatchObject({ ok: false, reason: 'error', detail: expect.stringContaining('ping_group_range') });
  });

  it('gets echo replies from a reachable namespace and none from an unreachable one, v4 and v6', async () => {
    await rig.client.sysctl('net.ipv4.ping_group_range', '0 2147483647');
    const results = await rig.run([
      { check: { type: 'ping' }, address: '192.0.2.2' },
      { check: { type: 'ping' }, address: '2001:db8::2' },
      { check: { type: 'ping' }, address: '2001:DB8:0::2' },
      { check: { type: 'ping' }, address: '198.51.100.7', timeoutMs: 1000 },
      { check: { type: 'ping' }, address: '2001:db8::99', timeoutMs: 1000 },
    ]);
    expect(results.map((r) => r.reason ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'timeout', 'timeout']);
  });

  it('pings many targets at once over one socket per family', async () => {
    const checks: RunSpec[] = [];
    for (let i = 0; i < 200; i++) {
      checks.push({ check: { type: 'ping' }, address: i % 2 ? '192.0.2.2' : '2001:db8::2', timeoutMs: 5000 });
    }
    const results = await rig.run(checks);
    expect(results.filter((r) => r.ok)).toHaveLength(200);
  });

  it('brings a reachable server up and an unreachable one down through the scheduler', async () => {
    const common = { check: { type: 'ping' }, intervalMs: 50, timeoutMs: 500, rise: 2 } as const;
    const out = await rig.schedule({
      targets: [
        { id: 'near', address: '192.0.2.2', ...common },
        { id: 'gone', address: '198.51.100.7', ...common },
      ],
      results: 3,
    });
    expect(out.transitions.map((t) => [t.target, t.from, t.to, t.reason])).toEqual(
      expect.arrayContaining([
        ['near', 'unknown', 'up', 'passed'],
        ['gone', 'unknown', 'down', 'timeout'],
      ]),
    );
    expect(out.transitions).toHaveLength(2);
  });
});
