import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReplicaEndpoint } from '../../src/ha/replica-endpoint.js';
import type { ReplicaMessage } from '../../src/ha/replica-message.js';
import { REPLICA_PATH, replicaKey, sealBody, signRequest } from '../../src/ha/replica-protocol.js';
import type { StoredVersion } from '../../src/store/config-store.js';
import { drained, FakeAdminStates, FakeStore, version } from './fakes.js';

const key = replicaKey('the pair key, shared by both nodes');
const NOW = 1_800_000_000_000;

function setup(head = 1, options: { haOff?: boolean; now?: () => number; certificateDir?: string } = {}) {
  const store = new FakeStore(head);
  const adminStates = new FakeAdminStates();
  const endpoint = createReplicaEndpoint({
    store,
    adminStates,
    key: () => (options.haOff ? undefined : key),
    nodeName: () => 'lb2',
    peerName: () => 'lb1',
    isActive: () => false,
    now: options.now ?? (() => NOW),
    ...(options.certificateDir === undefined ? {} : { certificateDir: options.certificateDir }),
  });
  return { store, adminStates, endpoint };
}

function message(versions: StoredVersion[], extra: Partial<ReplicaMessage> = {}): ReplicaMessage {
  const last = versions.at(-1) ?? version(1);
  return { format: 1, head: { version: last.version, time: last.time }, versions, active: true, ...extra };
}

function request(body: unknown, options: { node?: string; now?: number; signKey?: Buffer } = {}) {
  // Sealed and signed as the Replicator does.
  const raw = sealBody(options.signKey ?? key, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
  const headers = signRequest({
    key: options.signKey ?? key,
    method: 'PUT',
    path: REPLICA_PATH,
    node: options.node ?? 'lb1',
    body: raw,
    now: options.now ?? NOW,
  });
  return { raw, headers };
}

describe('replica endpoint', () => {
  it('refuses a certificate whose name is a path or whose content is not a certificate and key: nothing written, nothing stored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-replica-certs-'));
    try {
      const certificates = join(dir, 'certificates');
      const { store, endpoint } = setup(1, { certificateDir: certificates });
      const pem =
        '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n';
      for (const [entry, field] of [
        [{ name: '../../etc/cron.d/evil.pem', pem }, 'certificates[0].name'],
        [{ name: 'shop.pem\nx', pem }, 'certificates[0].name'],
        [{ name: '.hidden.pem', pem }, 'certificates[0].name'],
        [{ name: 'shop.pem', pem: '* * * * * root reboot\n' }, 'certificates[0].pem'],
      ] as const) {
        const { raw, headers } = request(
          message([version(2)], { certificateDir: '/var/lib/sluice/certificates', certificates: [entry] }),
        );
        const result = await endpoint.handleReplica(raw, headers);
        expect(result.status).toBe(400);
        expect(result.body).toMatchObject({ error: { code: 'API_BAD_REQUEST', field } });
      }
      expect(store.accepted).toEqual([]);
      expect(existsSync(certificates)).toBe(false);
      // A good one is written, root's alone, before the version naming it is stored.
      const { raw, headers } = request(message([version(2)], { certificates: [{ name: 'shop.pem', pem }] }));
      expect((await endpoint.handleReplica(raw, headers)).status).toBe(200);
      expect(await readFile(join(certificates, 'shop.pem'), 'utf8')).toBe(pem);
      expect(store.accepted).toEqual([{ version: 2, from: 'lb1' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // What the store accepts is applied by the commit pipeline (test/pipeline), as a local commit is.
  it('stores newer versions in order under their numbers and answers its head', async () => {
    const { store, endpoint } = setup(1);
    const { raw, headers } = request(message([version(2), version(3)]));
    const result = await endpoint.handleReplica(raw, headers);
    expect(result).toEqual({
      status: 200,
      body: { node: 'lb2', head: { version: 3, time: version(3).time }, accepted: [2, 3], active: false },
    });
    expect(store.accepted).toEqual([
      { version: 2, from: 'lb1' },
      { version: 3, from: 'lb1' },
    ]);
  });

  it('refuses an older or equal version with HA_STALE_VERSION and names its own head', async () => {
    const { store, endpoint } = setup(5);
    const { raw, headers } = request(message([version(4), version(5, '2025-12-31T00:00:00.000Z')]));
    const result = await endpoint.handleReplica(raw, headers);
    expect(result.status).toBe(409);
    expect(result.body).toMatchObject({ error: { code: 'HA_STALE_VERSION' }, head: { version: 5 } });
    expect(store.current()).toEqual(version(5));
    expect(store.accepted).toEqual([]);
  });

  it('takes only the newer part of a message that overlaps its own versions', async () => {
    const { store, endpoint } = setup(3);
    const { raw, headers } = request(message([version(2), version(3), version(4)]));
    expect((await endpoint.handleReplica(raw, headers)).body).toMatchObject({ accepted: [4] });
    expect(store.accepted.map((a) => a.version)).toEqual([4]);
  });

  it('a hello (no versions) stores nothing and tells the sender the head', async () => {
    const { store, endpoint } = setup(7);
    const { raw, headers } = request(message([], { head: { version: 2, time: 'x' } }));
    expect(await endpoint.handleReplica(raw, headers)).toMatchObject({ status: 200, body: { head: { version: 7 } } });
    expect(store.accepted).toEqual([]);
  });

  it('refuses a bad signature, a replay and another sender (401) and stores nothing', async () => {
    const { store, endpoint } = setup(1);
    const forged = request(message([version(2)]), { signKey: replicaKey('a different key entirely') });
    expect(await endpoint.handleReplica(forged.raw, forged.headers)).toMatchObject({
      status: 401,
      body: { error: { code: 'AUTH_FAILED' } },
    });
    const stranger = request(message([version(2)]), { node: 'lb9' });
    expect((await endpoint.handleReplica(stranger.raw, stranger.headers)).status).toBe(401);
    const old = request(message([version(2)]), { now: NOW - 60_000 });
    expect((await endpoint.handleReplica(old.raw, old.headers)).status).toBe(401);
    expect(store.accepted).toEqual([]);
    const genuine = request(message([version(2)]));
    expect((await endpoint.handleReplica(genuine.raw, genuine.headers)).status).toBe(200);
    const replay = await endpoint.handleReplica(genuine.raw, genuine.headers);
    expect(replay).toMatchObject({ status: 401, body: { error: { message: expect.stringMatching(/replayed/) } } });
    expect(store.accepted).toHaveLength(1);
  });

  it('refuses a body that is not sealed with the pair key, even when the MAC is right', async () => {
    const { store, endpoint } = setup(1);
    const plain = Buffer.from(JSON.stringify(message([version(2)])));
    const sign = (raw: Buffer) =>
      signRequest({ key, method: 'PUT', path: REPLICA_PATH, node: 'lb1', body: raw, now: NOW });
    expect(await endpoint.handleReplica(plain, sign(plain))).toMatchObject({
      status: 401,
      body: { error: { code: 'AUTH_FAILED', message: expect.stringContaining('decrypted') } },
    });
    const otherSeal = sealBody(replicaKey('another pair key entirely'), plain);
    expect((await endpoint.handleReplica(otherSeal, sign(otherSeal))).status).toBe(401);
    expect(store.accepted).toEqual([]);
  });

  it('answers HA_DISABLED when HA is off, 405 for another method, 400 for a bad body', async () => {
    const off = setup(1, { haOff: true });
    const signed = request(message([version(2)]));
    expect(await off.endpoint.handleReplica(signed.raw, signed.headers)).toMatchObject({
      status: 409,
      body: { error: { code: 'HA_DISABLED' } },
    });
    const { endpoint, store } = setup(1);
    expect((await endpoint.handleReplica(signed.raw, signed.headers, 'POST')).status).toBe(405);
    const notJson = request('{"format":1,');
    expect(await endpoint.handleReplica(notJson.raw, notJson.headers)).toMatchObject({
      status: 400,
      body: { error: { code: 'API_BAD_REQUEST' } },
    });
    const unknownField = request({ ...message([version(2)]), extra: true });
    expect((await endpoint.handleReplica(unknownField.raw, unknownField.headers)).status).toBe(400);
    const descending = request(message([version(3), version(2)]));
    expect(await endpoint.handleReplica(descending.raw, descending.headers)).toMatchObject({
      status: 400,
      body: { error: { field: 'versions[1].version' } },
    });
    expect(store.accepted).toEqual([]);
  });

  it('takes admin states from a sender that is not behind, never from one that is', async () => {
    const { adminStates, endpoint } = setup(3);
    const behind = request(message([], { head: { version: 2, time: 'x' }, adminStates: [drained] }));
    await endpoint.handleReplica(behind.raw, behind.headers);
    expect(adminStates.replaced).toBe(0);
    const level = request(message([], { head: { version: 3, time: version(3).time }, adminStates: [drained] }));
    await endpoint.handleReplica(level.raw, level.headers);
    expect(adminStates.entries).toEqual([drained]);
  });

  it('a signed message dated 25 s ahead, replayed 32 s later, never sets the admin states', async () => {
    // The review's attack: such a message was taken at once and again 32 s later, setting a
    // server offline after an administrator had brought it back online.
    let clock = NOW;
    const { adminStates, endpoint } = setup(3, { now: () => clock });
    const offline = { ...drained, state: 'offline' as const };
    const ahead = request(message([], { head: { version: 3, time: version(3).time }, adminStates: [offline] }), {
      now: NOW + 25_000,
    });
    expect(await endpoint.handleReplica(ahead.raw, ahead.headers)).toMatchObject({
      status: 401,
      body: { error: { code: 'AUTH_FAILED', message: expect.stringMatching(/ahead/) } },
    });
    clock = NOW + 32_000;
    expect(await endpoint.handleReplica(ahead.raw, ahead.headers)).toMatchObject({
      status: 401,
      body: { error: { code: 'AUTH_FAILED', message: expect.stringMatching(/replayed/) } },
    });
    expect(adminStates.replaced).toBe(0);
  });

  it('refuses a replay of an accepted message while its time is still in the window', async () => {
    let clock = NOW;
    const { adminStates, endpoint } = setup(3, { now: () => clock });
    const genuine = request(message([], { head: { version: 3, time: version(3).time }, adminStates: [drained] }), {
      now: NOW + 4000,
    });
    expect((await endpoint.handleReplica(genuine.raw, genuine.headers)).status).toBe(200);
    expect(adminStates.replaced).toBe(1);
    for (const later of [20_000, 32_000]) {
      clock = NOW + later;
      expect(await endpoint.handleReplica(genuine.raw, genuine.headers)).toMatchObject({
        status: 401,
        body: { error: { message: expect.stringMatching(/replayed/) } },
      });
    }
    expect(adminStates.replaced).toBe(1);
  });
});
