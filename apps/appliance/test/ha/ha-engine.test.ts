import { describe, expect, it } from 'vitest';
import type { AddressSource } from '../../src/engine/addresses/placement.js';
import type { PartApplyResult } from '../../src/engine/driver.js';
import { HaEngine } from '../../src/ha/engine-process/ha-engine.js';
import type { Push } from '../../src/ha/engine-process/protocol.js';

// The HA engine's own logic, with the address driver replaced by a recorder: what it holds
// in each mode, what it keeps across a second `heartbeat` request (adoption), and that a
// passive engine never announces. The heartbeat itself runs for real in
// engine-process.netns.test.ts.

const SOURCE: AddressSource = {
  floatingIps: [{ address: '192.0.2.100/24' }],
  layer4: [{ vip: '192.0.2.10', label: 'web' }],
  layer7: [],
  ssl: [],
};

function recorder() {
  const calls: string[] = [];
  const pushes: Push[] = [];
  const engine = new HaEngine({
    pid: 4242,
    push: (message) => pushes.push(message),
    addresses: {
      async place(source: AddressSource, active: boolean): Promise<PartApplyResult> {
        calls.push(`place ${source.floatingIps.length + source.layer4.length} ${active ? 'held' : 'none'}`);
        return { changes: [] };
      },
      async probe() {
        return { available: true };
      },
      async drift() {
        return [];
      },
      async announce(which: 'all' | 'pending') {
        calls.push(`announce ${which}`);
      },
      async stop() {
        calls.push('stop');
      },
    },
  });
  return { engine, calls, pushes };
}

describe('HaEngine', () => {
  it('holds nothing until told; standalone holds every address, off lets them go', async () => {
    const { engine, calls } = recorder();
    expect(await engine.handle({ type: 'hello' })).toEqual({ protocol: 1, pid: 4242, heartbeat: 'off', status: null });
    await engine.handle({ type: 'addresses', source: SOURCE });
    expect(calls).toEqual(['place 2 none']);
    expect(await engine.handle({ type: 'heartbeat', spec: 'standalone' })).toEqual({ adopted: false });
    expect(calls.at(-1)).toBe('place 2 held');
    // A restarted daemon asking for what runs already changes nothing.
    expect(await engine.handle({ type: 'heartbeat', spec: 'standalone' })).toEqual({ adopted: true });
    await engine.handle({ type: 'announce', which: 'all' });
    expect(calls.at(-1)).toBe('announce all');
    await engine.handle({ type: 'heartbeat', spec: 'off' });
    expect(calls.at(-1)).toBe('place 2 none');
  });

  it('a passive engine never announces, and takeover without a heartbeat is HA_DISABLED', async () => {
    const { engine, calls } = recorder();
    await engine.handle({ type: 'addresses', source: SOURCE });
    await engine.handle({ type: 'announce', which: 'all' });
    expect(calls).not.toContain('announce all');
    await expect(engine.handle({ type: 'takeover' })).rejects.toMatchObject({ code: 'HA_DISABLED' });
  });

  it('shutdown stops the address driver (which keeps a standalone node its addresses)', async () => {
    const { engine, calls } = recorder();
    await engine.handle({ type: 'heartbeat', spec: 'standalone' });
    await engine.handle({ type: 'shutdown' });
    expect(calls.at(-1)).toBe('stop');
    expect(calls).not.toContain('place 0 none');
  });
});
