import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HeartbeatError } from '../src/errors.js';
import { decodePacket, encodePacket, type HeartbeatPacket, type PacketKey } from '../src/packet.js';

const KEY: PacketKey = {
  id: 1,
  secret: Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex'),
};
const OTHER_KEY: PacketKey = { id: 2, secret: Buffer.alloc(32, 0x55) };

const SAMPLE: HeartbeatPacket = {
  keyId: 1,
  nodeId: 'lb-a',
  role: 'master',
  state: 'active',
  priority: 200,
  configVersion: 7,
  healthy: true,
  pingOk: true,
  pingPending: false,
  preference: 'none',
  hearsPeer: true,
  epoch: 1_764_000_000_000,
  sequence: 42,
};

// Header and MAC written out by hand; the MAC was computed independently with
// `openssl dgst -sha256 -mac HMAC -macopt hexkey:0001..1f` over the first 40 bytes.
const GOLDEN = [
  '534c4842', // "SLHB"
  '01', // version
  '01', // key id
  '01', // role: master
  '03', // state: active
  '13', // flags: healthy | pingOk | hearsPeer
  '04', // node id length
  '00c8', // priority 200
  '0000000000000007', // configuration version
  '0000019ab697e800', // epoch 1764000000000
  '000000000000002a', // sequence 42
  '6c622d61', // "lb-a"
  'c150beda8809bd7f0b9e4b0e48c4e4c2611c5ca51c2add1a82b44705977e4b26', // HMAC-SHA256
].join('');

describe('encodePacket', () => {
  it('produces the golden bytes', () => {
    expect(encodePacket(SAMPLE, KEY).toString('hex')).toBe(GOLDEN);
  });

  it('encodes every state, role and preference distinctly and round-trips them', () => {
    const seen = new Set<string>();
    for (const role of ['master', 'slave'] as const)
      for (const state of ['passive', 'acquiring', 'active', 'releasing'] as const)
        for (const preference of ['none', 'active', 'passive'] as const) {
          const packet = {
            ...SAMPLE,
            role,
            state,
            preference,
            healthy: false,
            pingOk: false,
            pingPending: state === 'passive',
            hearsPeer: false,
          };
          const bytes = encodePacket(packet, KEY);
          seen.add(bytes.subarray(6, 9).toString('hex'));
          expect(decodePacket(bytes, [KEY])).toEqual({ ok: true, packet });
        }
    expect(seen.size).toBe(24);
  });

  it('rejects out-of-range values with the field at fault', () => {
    const cases: [Partial<HeartbeatPacket>, string][] = [
      [{ nodeId: '' }, 'nodeId'],
      [{ nodeId: 'a b' }, 'nodeId'],
      [{ nodeId: 'x'.repeat(65) }, 'nodeId'],
      [{ priority: 70_000 }, 'priority'],
      [{ sequence: -1 }, 'sequence'],
      [{ epoch: 2 ** 60 }, 'epoch'],
      [{ configVersion: 1.5 }, 'configVersion'],
      [{ keyId: 2 }, 'keyId'],
    ];
    for (const [change, field] of cases) {
      const error = (() => {
        try {
          encodePacket({ ...SAMPLE, ...change }, KEY);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(HeartbeatError);
      expect(error).toMatchObject({ code: 'HEARTBEAT_INVALID_PACKET', field });
    }
  });
});

describe('decodePacket', () => {
  const golden = Buffer.from(GOLDEN, 'hex');

  it('decodes the golden bytes', () => {
    expect(decodePacket(golden, [KEY])).toEqual({ ok: true, packet: SAMPLE });
  });

  it('accepts either key during a rotation', () => {
    const signedWithNew = encodePacket({ ...SAMPLE, keyId: 2 }, OTHER_KEY);
    expect(decodePacket(golden, [KEY, OTHER_KEY]).ok).toBe(true);
    expect(decodePacket(signedWithNew, [KEY, OTHER_KEY])).toMatchObject({ ok: true, packet: { keyId: 2 } });
    expect(decodePacket(signedWithNew, [KEY])).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('rejects a forged packet (any changed byte, or the wrong secret) as bad-mac', () => {
    for (let i = 6; i < golden.length; i++) {
      if (i === 9) continue; // the length byte changes the framing: bad-length, below
      const forged = Buffer.from(golden);
      forged[i] = (forged[i] ?? 0) ^ 0x01;
      expect(decodePacket(forged, [KEY]), `byte ${i}`).toEqual({ ok: false, reason: 'bad-mac' });
    }
    const wrongSecret = { id: 1, secret: Buffer.alloc(32, 0x55) };
    expect(decodePacket(encodePacket(SAMPLE, wrongSecret), [KEY])).toEqual({ ok: false, reason: 'bad-mac' });
  });

  it('rejects truncated and padded packets', () => {
    for (const length of [0, 1, 35, 36, 68]) {
      expect(decodePacket(golden.subarray(0, length), [KEY])).toEqual({ ok: false, reason: 'truncated' });
    }
    expect(decodePacket(golden.subarray(0, golden.length - 1), [KEY])).toEqual({ ok: false, reason: 'bad-length' });
    expect(decodePacket(Buffer.concat([golden, Buffer.from([0])]), [KEY])).toEqual({
      ok: false,
      reason: 'bad-length',
    });
    const badIdLength = Buffer.from(golden);
    badIdLength[9] = 0;
    expect(decodePacket(badIdLength, [KEY])).toEqual({ ok: false, reason: 'bad-length' });
  });

  it('rejects foreign traffic and other protocol versions', () => {
    const notOurs = Buffer.from(golden);
    notOurs.write('VRRP', 0, 'ascii');
    expect(decodePacket(notOurs, [KEY])).toEqual({ ok: false, reason: 'bad-magic' });
    const v2 = Buffer.from(golden);
    v2[4] = 2;
    expect(decodePacket(v2, [KEY])).toEqual({ ok: false, reason: 'unsupported-version' });
  });

  it('rejects authenticated but meaningless field values as malformed', () => {
    // A peer with the right key but a broken encoder: re-sign a packet with a bad enum.
    const resign = (mutate: (b: Buffer) => void) => {
      const b = Buffer.from(golden);
      mutate(b);
      createHmac('sha256', KEY.secret)
        .update(b.subarray(0, b.length - 32))
        .digest()
        .copy(b, b.length - 32);
      return b;
    };
    expect(
      decodePacket(
        resign((b) => (b[6] = 3)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: 'malformed' });
    expect(
      decodePacket(
        resign((b) => (b[7] = 0)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: 'malformed' });
    expect(
      decodePacket(
        resign((b) => (b[8] = 0x0c)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: 'malformed' });
    expect(
      decodePacket(
        resign((b) => (b[8] = 0x80)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: 'malformed' });
    // "ping ok" and "ping pending" at once
    expect(
      decodePacket(
        resign((b) => (b[8] = 0x22)),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: 'malformed' });
    expect(
      decodePacket(
        resign((b) => b.write(' ', 36, 'ascii')),
        [KEY],
      ),
    ).toEqual({ ok: false, reason: 'malformed' });
  });
});
