import { createHmac, timingSafeEqual } from 'node:crypto';
import { HeartbeatError } from './errors.js';

/**
 * Heartbeat packet, version 1. Big-endian, fixed header, then the sender's node id, then
 * an HMAC-SHA256 over everything before it:
 *
 *   0  magic "SLHB"          4  version (1)        5  key id
 *   6  configured role       7  live state         8  flags (healthy 0x01, ping ok 0x02,
 *                                                    prefer active 0x04, prefer passive 0x08,
 *                                                    hears peer 0x10, ping pending 0x20)
 *   9  node id length (n)   10  priority (u16)    12  configuration version (u64)
 *  20  epoch (u64)          28  sequence (u64)    36  node id (n bytes, ASCII)
 *  36+n  HMAC-SHA256 (32 bytes)
 *
 * Every field is authenticated; nothing but the header length fields is read before the
 * MAC has been checked.
 */
export const PACKET_MAGIC = Buffer.from('SLHB', 'ascii');
export const PACKET_VERSION = 1;
export const HEADER_LENGTH = 36;
export const MAC_LENGTH = 32;
export const MAX_NODE_ID_LENGTH = 64;
export const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type Role = 'master' | 'slave';
/** Live state; `acquiring` and `releasing` are the transitions between passive and active. */
export type LiveState = 'passive' | 'acquiring' | 'active' | 'releasing';
/** What an operator asked for: `active` after `takeover()`, `passive` after `standby()`. */
export type Preference = 'none' | 'active' | 'passive';

export interface HeartbeatPacket {
  keyId: number;
  nodeId: string;
  role: Role;
  state: LiveState;
  priority: number;
  configVersion: number;
  /** The sender's own resources are healthy (set by the application). */
  healthy: boolean;
  /** The sender reaches its ping nodes (true when it has none). */
  pingOk: boolean;
  /** The sender has ping nodes but no result yet (then `pingOk` is false). */
  pingPending: boolean;
  preference: Preference;
  /** The sender hears its peer on at least one link. */
  hearsPeer: boolean;
  epoch: number;
  sequence: number;
}

export interface PacketKey {
  id: number;
  secret: Buffer;
}

export type RejectReason =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-version'
  | 'bad-length'
  | 'unknown-key'
  | 'bad-mac'
  | 'malformed'
  | 'own-packet'
  | 'unknown-node'
  | 'role-conflict'
  | 'stale-epoch'
  | 'replay';

export type DecodeResult = { ok: true; packet: HeartbeatPacket } | { ok: false; reason: RejectReason };

const ROLES: readonly Role[] = ['master', 'slave'];
const STATES: readonly LiveState[] = ['passive', 'acquiring', 'active', 'releasing'];
const FLAG_HEALTHY = 0x01;
const FLAG_PING_OK = 0x02;
const FLAG_PREFER_ACTIVE = 0x04;
const FLAG_PREFER_PASSIVE = 0x08;
const FLAG_HEARS_PEER = 0x10;
const FLAG_PING_PENDING = 0x20;
const KNOWN_FLAGS = 0x3f;

function checkRange(field: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new HeartbeatError('HEARTBEAT_INVALID_PACKET', `${field} must be an integer in 0..${max}`, { field });
  }
}

export function encodePacket(packet: HeartbeatPacket, key: PacketKey): Buffer {
  if (!NODE_ID.test(packet.nodeId)) {
    throw new HeartbeatError('HEARTBEAT_INVALID_PACKET', 'nodeId must be 1-64 of [A-Za-z0-9._-]', {
      field: 'nodeId',
    });
  }
  if (key.id !== packet.keyId) {
    throw new HeartbeatError('HEARTBEAT_INVALID_PACKET', 'keyId does not match the signing key', { field: 'keyId' });
  }
  checkRange('keyId', packet.keyId, 255);
  checkRange('priority', packet.priority, 0xffff);
  checkRange('configVersion', packet.configVersion, Number.MAX_SAFE_INTEGER);
  checkRange('epoch', packet.epoch, Number.MAX_SAFE_INTEGER);
  checkRange('sequence', packet.sequence, Number.MAX_SAFE_INTEGER);
  const id = Buffer.from(packet.nodeId, 'ascii');
  const buf = Buffer.alloc(HEADER_LENGTH + id.length + MAC_LENGTH);
  PACKET_MAGIC.copy(buf, 0);
  buf[4] = PACKET_VERSION;
  buf[5] = packet.keyId;
  buf[6] = ROLES.indexOf(packet.role) + 1;
  buf[7] = STATES.indexOf(packet.state) + 1;
  buf[8] =
    (packet.healthy ? FLAG_HEALTHY : 0) |
    (packet.pingOk ? FLAG_PING_OK : 0) |
    (packet.preference === 'active' ? FLAG_PREFER_ACTIVE : 0) |
    (packet.preference === 'passive' ? FLAG_PREFER_PASSIVE : 0) |
    (packet.hearsPeer ? FLAG_HEARS_PEER : 0) |
    (packet.pingPending ? FLAG_PING_PENDING : 0);
  buf[9] = id.length;
  buf.writeUInt16BE(packet.priority, 10);
  buf.writeBigUInt64BE(BigInt(packet.configVersion), 12);
  buf.writeBigUInt64BE(BigInt(packet.epoch), 20);
  buf.writeBigUInt64BE(BigInt(packet.sequence), 28);
  id.copy(buf, HEADER_LENGTH);
  mac(key.secret, buf.subarray(0, HEADER_LENGTH + id.length)).copy(buf, HEADER_LENGTH + id.length);
  return buf;
}

function mac(secret: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/**
 * Parses and authenticates one datagram. Checks only what the packet itself can prove
 * (framing, key, MAC, field values); who sent it and whether it is fresh is the
 * receiver's business (see `PeerFilter`).
 */
export function decodePacket(buf: Buffer, keys: readonly PacketKey[]): DecodeResult {
  if (buf.length < HEADER_LENGTH + 1 + MAC_LENGTH) return { ok: false, reason: 'truncated' };
  if (!buf.subarray(0, 4).equals(PACKET_MAGIC)) return { ok: false, reason: 'bad-magic' };
  if (buf[4] !== PACKET_VERSION) return { ok: false, reason: 'unsupported-version' };
  const idLength = buf[9] ?? 0;
  if (idLength === 0 || idLength > MAX_NODE_ID_LENGTH || buf.length !== HEADER_LENGTH + idLength + MAC_LENGTH) {
    return { ok: false, reason: 'bad-length' };
  }
  const key = keys.find((k) => k.id === buf[5]);
  if (!key) return { ok: false, reason: 'unknown-key' };
  const body = buf.subarray(0, HEADER_LENGTH + idLength);
  if (!timingSafeEqual(mac(key.secret, body), buf.subarray(HEADER_LENGTH + idLength))) {
    return { ok: false, reason: 'bad-mac' };
  }
  const role = ROLES[(buf[6] ?? 0) - 1];
  const state = STATES[(buf[7] ?? 0) - 1];
  const flags = buf[8] ?? 0;
  const nodeId = buf.toString('ascii', HEADER_LENGTH, HEADER_LENGTH + idLength);
  const configVersion = Number(buf.readBigUInt64BE(12));
  const epoch = Number(buf.readBigUInt64BE(20));
  const sequence = Number(buf.readBigUInt64BE(28));
  if (
    !role ||
    !state ||
    (flags & ~KNOWN_FLAGS) !== 0 ||
    (flags & FLAG_PREFER_ACTIVE && flags & FLAG_PREFER_PASSIVE) ||
    (flags & FLAG_PING_OK && flags & FLAG_PING_PENDING) ||
    !NODE_ID.test(nodeId) ||
    !Number.isSafeInteger(configVersion) ||
    !Number.isSafeInteger(epoch) ||
    !Number.isSafeInteger(sequence)
  ) {
    return { ok: false, reason: 'malformed' };
  }
  return {
    ok: true,
    packet: {
      keyId: key.id,
      nodeId,
      role,
      state,
      priority: buf.readUInt16BE(10),
      configVersion,
      healthy: (flags & FLAG_HEALTHY) !== 0,
      pingOk: (flags & FLAG_PING_OK) !== 0,
      preference: flags & FLAG_PREFER_ACTIVE ? 'active' : flags & FLAG_PREFER_PASSIVE ? 'passive' : 'none',
      hearsPeer: (flags & FLAG_HEARS_PEER) !== 0,
      pingPending: (flags & FLAG_PING_PENDING) !== 0,
      epoch,
      sequence,
    },
  };
}
