import { describe, expect, it } from 'vitest';
import { BIG_BODY } from '../../src/api/routes/config.js';
import { ApplianceError } from '../../src/errors.js';
import {
  bodyDigest,
  CLOCK_SKEW_MS,
  CONFIG_BODY_LIMIT,
  openBody,
  REPLAY_WINDOW_MS,
  REPLICA_MAX_BODY,
  REPLICA_PATH,
  ReplayGuard,
  replicaKey,
  sealBody,
  signRequest,
  verifyHeaders,
  verifyRequest,
} from '../../src/ha/replica-protocol.js';

const key = replicaKey('a shared heartbeat key');
const body = Buffer.from('{"format":1}');
const T0 = 1_800_000_000_000;

function signed(overrides: { now?: number; nonce?: string; node?: string; key?: Buffer } = {}) {
  return signRequest({
    key: overrides.key ?? key,
    method: 'PUT',
    path: REPLICA_PATH,
    node: overrides.node ?? 'lb1',
    body,
    now: overrides.now ?? T0,
    ...(overrides.nonce === undefined ? {} : { nonce: overrides.nonce }),
  });
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApplianceError);
    expect((error as ApplianceError).code).toBe('AUTH_FAILED');
    return (error as ApplianceError).message;
  }
  throw new Error('expected AUTH_FAILED');
}

const verify = (headers: Record<string, string>, extra: Partial<Parameters<typeof verifyRequest>[0]> = {}) =>
  verifyRequest({ key, method: 'PUT', path: REPLICA_PATH, headers, body, now: T0, guard: new ReplayGuard(), ...extra });

describe('replication request signing', () => {
  it('accepts a request signed with the same heartbeat key and returns the sender', () => {
    expect(verify(signed())).toBe('lb1');
  });

  it('derives a key distinct from the heartbeat key, deterministic on both nodes', () => {
    expect(replicaKey('a shared heartbeat key')).toEqual(key);
    expect(key.equals(Buffer.from('a shared heartbeat key'))).toBe(false);
    expect(key).toHaveLength(32);
  });

  it('refuses another key, a changed body, method, path or node name', () => {
    expect(refusal(() => verify(signed({ key: replicaKey('another key of the peer') })))).toMatch(/bad signature/);
    expect(refusal(() => verify(signed(), { body: Buffer.from('{"format":2}') }))).toMatch(/signed digest/);
    const otherDigest = { ...signed(), 'x-sluice-ha-digest': bodyDigest(Buffer.from('{"format":2}')) };
    expect(refusal(() => verify(otherDigest, { body: Buffer.from('{"format":2}') }))).toMatch(/bad signature/);
    expect(refusal(() => verify(signed(), { method: 'POST' }))).toMatch(/bad signature/);
    expect(refusal(() => verify(signed(), { path: '/api/v1/config' }))).toMatch(/bad signature/);
    const forged = { ...signed(), 'x-sluice-ha-node': 'lb9' };
    expect(refusal(() => verify(forged))).toMatch(/bad signature/);
  });

  it('refuses missing or malformed headers and a sender other than the peer', () => {
    const { 'x-sluice-ha-signature': _signature, ...unsigned } = signed();
    expect(refusal(() => verify(unsigned))).toMatch(/required/);
    expect(refusal(() => verify({ ...signed(), 'x-sluice-ha-time': '12abc' }))).toMatch(/malformed/);
    expect(refusal(() => verify(signed({ node: 'lb1' }), { expectedNode: 'lb2' }))).toMatch(/not by the peer lb2/);
  });

  it('refuses a replayed request and one outside the replay window', () => {
    const guard = new ReplayGuard();
    const headers = signed();
    expect(verify(headers, { guard })).toBe('lb1');
    expect(refusal(() => verify(headers, { guard }))).toMatch(/replayed/);
    expect(refusal(() => verify(signed({ now: T0 - REPLAY_WINDOW_MS - 1 }), { guard }))).toMatch(/clock/);
    expect(refusal(() => verify(signed({ now: T0 + REPLAY_WINDOW_MS + 1 }), { guard }))).toMatch(/clock/);
    expect(verify(signed({ now: T0 - REPLAY_WINDOW_MS }), { guard })).toBe('lb1');
  });

  it('authenticates from the headers alone, before the body: the digest is signed', () => {
    const headers = signed();
    expect(headers['x-sluice-ha-digest']).toBe(bodyDigest(body));
    const verified = verifyHeaders({
      key,
      method: 'PUT',
      path: REPLICA_PATH,
      headers,
      now: T0,
      guard: new ReplayGuard(),
    });
    expect(verified).toEqual({ node: 'lb1', digest: bodyDigest(body) });
    const { 'x-sluice-ha-digest': _digest, ...undigested } = signed();
    const headersOnly = (h: Record<string, string>) => () =>
      verifyHeaders({ key, method: 'PUT', path: REPLICA_PATH, headers: h, now: T0, guard: new ReplayGuard() });
    expect(refusal(headersOnly(undigested))).toMatch(/required/);
    expect(refusal(headersOnly({ ...signed(), 'x-sluice-ha-digest': 'f'.repeat(64) }))).toMatch(/bad signature/);
  });

  it('refuses a request dated further ahead than the clock skew, and takes one within it', () => {
    const guard = new ReplayGuard();
    expect(refusal(() => verify(signed({ now: T0 + CLOCK_SKEW_MS + 1 }), { guard }))).toMatch(/ahead/);
    expect(verify(signed({ now: T0 + CLOCK_SKEW_MS }), { guard })).toBe('lb1');
  });

  it('a request dated 25 s ahead, played again 32 s later, is refused both times', () => {
    // The review's case: the nonce was kept 30 s from its arrival, on this node's clock,
    // while freshness was judged on the sender's: 32 s later the request was fresh again.
    const guard = new ReplayGuard();
    const headers = signed({ now: T0 + 25_000 });
    expect(refusal(() => verify(headers, { guard, now: T0 }))).toMatch(/ahead/);
    expect(refusal(() => verify(headers, { guard, now: T0 + 32_000 }))).toMatch(/replayed/);
  });

  it('remembers a nonce for as long as its request is fresh on the sender clock', () => {
    const guard = new ReplayGuard();
    // Dated 4 s ahead (within the skew): accepted, then still fresh 32 s later (28 s old).
    const ahead = signed({ now: T0 + 4000 });
    expect(verify(ahead, { guard, now: T0 })).toBe('lb1');
    expect(refusal(() => verify(ahead, { guard, now: T0 + 32_000 }))).toMatch(/replayed/);
    // A replay of an accepted request while its time is still in the window.
    const onTime = signed({ now: T0 });
    expect(verify(onTime, { guard, now: T0 })).toBe('lb1');
    expect(refusal(() => verify(onTime, { guard, now: T0 + 20_000 }))).toMatch(/replayed/);
    // Past its time plus the window it is expired, and only then forgotten.
    expect(refusal(() => verify(onTime, { guard, now: T0 + REPLAY_WINDOW_MS + 1 }))).toMatch(/behind/);
  });

  it('forgets nonces once they are outside the window (bounded memory)', () => {
    const guard = new ReplayGuard(1000);
    for (let i = 0; i < 10; i++) expect(guard.admit(`n${i}`, T0 + i * 100, T0 + i * 100)).toBe('ok');
    expect(guard.size).toBe(10);
    expect(guard.admit('late', T0 + 5000, T0 + 5000)).toBe('ok');
    expect(guard.size).toBe(1);
  });
});

describe('replication body limit', () => {
  it('carries one version of the largest configuration the API takes, with room for its envelope', () => {
    expect(CONFIG_BODY_LIMIT).toBe(BIG_BODY);
    expect(REPLICA_MAX_BODY - BIG_BODY).toBe(8 * 1024 * 1024);
  });
});

describe('replication body sealing', () => {
  it('round-trips, hides the plain text, and refuses another key or a changed byte', () => {
    const plain = Buffer.from('{"heartbeat":{"key":"the secret pair key"}}');
    const sealed = sealBody(key, plain);
    expect(sealed.includes(Buffer.from('secret'))).toBe(false);
    expect(openBody(key, sealed)).toEqual(plain);
    expect(sealBody(key, plain).equals(sealed)).toBe(false);
    expect(refusal(() => openBody(replicaKey('another heartbeat key'), sealed))).toMatch(/decrypted/);
    const flipped = Buffer.from(sealed);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(refusal(() => openBody(key, flipped))).toMatch(/decrypted/);
    expect(refusal(() => openBody(key, Buffer.alloc(10)))).toMatch(/not sealed/);
  });
});
