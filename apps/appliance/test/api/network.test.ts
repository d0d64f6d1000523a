import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostNetwork } from '../../src/host-network/control.js';
import { fakeHostNetwork } from '../fakes/host-network.js';
import { FakeClock } from '../fakes/trial-clock.js';
import { type Harness, startHarness } from './harness.js';

/** The API of the host network: its status, the trial's confirmation, the refusal to cut off the request's own address. */
let harness: Harness;
let root: string;
let network: HostNetwork;
let clock: FakeClock;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-api-network-'));
  clock = new FakeClock();
  harness = await startHarness({
    hostNetwork: (store, logs) => {
      network = fakeHostNetwork(root, store, logs, clock, 60);
      return network;
    },
  });
  await network.start();
});

afterEach(async () => {
  network.stop();
  // An apply in flight writes under the root: finished before the root goes.
  await network.idle();
  await harness.close();
  await rm(root, { recursive: true, force: true });
});

describe('the host network API', () => {
  it('runs a change of addresses as a trial that POST /network/confirm keeps', async () => {
    const admin = await harness.admin();
    const v = await admin.version();
    const put = await admin.put(`/api/v1/network?version=${v}`, {
      interfaces: [{ name: 'eth1', addresses: ['192.0.2.21/24'] }],
    });
    expect(put.status).toBe(200);
    await network.idle();
    const status = await admin.get('/api/v1/network/status');
    expect(status.body).toMatchObject({
      managed: true,
      state: 'applied',
      appliedVersion: v + 1,
      trial: { version: v + 1, restoreVersion: v, secondsLeft: 60, timeoutSeconds: 60 },
    });
    const confirmed = await admin.post('/api/v1/network/confirm');
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.trial).toBeUndefined();
    expect((await admin.post('/api/v1/network/confirm')).body.error.code).toBe('NETWORK_NO_TRIAL');
    clock.advance(120_000);
    await network.idle();
    expect(harness.store.current().version).toBe(v + 1);
  });

  it('refuses a change that removes the address the request came in on, unless it says it knows', async () => {
    const admin = await harness.admin();
    // The harness listens on 127.0.0.1: as the appliance's address, it is the one this request uses.
    const own = { interfaces: [{ name: 'lo', addresses: ['127.0.0.1/8'] }] };
    expect((await admin.put(`/api/v1/network?version=${await admin.version()}`, own)).status).toBe(200);
    const v = await admin.version();
    const moved = { interfaces: [{ name: 'lo', addresses: ['127.0.0.2/8'] }] };
    const refused = await admin.put(`/api/v1/network?version=${v}`, moved);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'NETWORK_ADDRESS_IN_USE', field: 'network.interfaces' });
    expect(refused.body.error.message).toContain('removes 127.0.0.1/8 from lo, the address this request came in on');
    expect(harness.store.current().version).toBe(v);
    expect((await admin.put(`/api/v1/network?version=${v}&addressLoss=yes`, moved)).body.error.field).toBe(
      'addressLoss',
    );
    expect((await admin.put(`/api/v1/network?version=${v}&addressLoss=accept`, moved)).status).toBe(200);
  });

  it('reports that a host is not managed', async () => {
    const plain = await startHarness();
    try {
      const admin = await plain.admin();
      const status = await admin.get('/api/v1/network/status');
      expect(status.body).toMatchObject({ managed: false, state: 'not-managed' });
      expect(status.body.detail).toContain('host network: not managed on this host');
      const confirm = await admin.post('/api/v1/network/confirm');
      expect(confirm.status).toBe(409);
      expect(confirm.body.error.code).toBe('NETWORK_NO_TRIAL');
    } finally {
      await plain.close();
    }
  });
});
