import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApplianceError } from '../errors.js';

/**
 * The peer-to-peer replication channel. The body is encrypted (AES-256-GCM) because a
 * configuration holds the heartbeat key itself and the users' password hashes, and the
 * admin port is plain HTTP. A request carries four headers and is signed with
 * HMAC-SHA256 under a key derived from the heartbeat key (so a captured heartbeat MAC and a
 * replication MAC can never be swapped): the MAC covers the method, the path, the sender's
 * clock, a random nonce, the sender's node name and every byte of the body. The receiver
 * accepts a request only within REPLAY_WINDOW_MS of its own clock and only once (the
 * nonce is remembered for the window), so a captured request cannot be played again.
 */
export const REPLICA_PATH = '/api/v1/ha/replica';
export const REPLAY_WINDOW_MS = 30_000;
/** The largest request body accepted (a version with 10,000 real servers is about 2 MB). */
export const REPLICA_MAX_BODY = 64 * 1024 * 1024;

export const HEADER_NODE = 'x-sluice-ha-node';
export const HEADER_TIME = 'x-sluice-ha-time';
export const HEADER_NONCE = 'x-sluice-ha-nonce';
export const HEADER_SIGNATURE = 'x-sluice-ha-signature';

const NONCE = /^[0-9a-f]{32}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const NODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TIME = /^\d{1,16}$/;

/** The replication key: HMAC-SHA256(heartbeat key, label), never the heartbeat key itself. */
export function replicaKey(heartbeatKey: string): Buffer {
  return createHmac('sha256', Buffer.from(heartbeatKey, 'utf8')).update('sluice ha replica v1').digest();
}

function mac(key: Buffer, method: string, path: string, time: string, nonce: string, node: string, body: Buffer) {
  const hmac = createHmac('sha256', key);
  hmac.update(`${method.toUpperCase()}\n${path}\n${time}\n${nonce}\n${node}\n`);
  hmac.update(body);
  return hmac.digest();
}

export interface SignInput {
  key: Buffer;
  method: string;
  path: string;
  node: string;
  body: Buffer;
  now: number;
  nonce?: string;
}

/** The headers that authenticate one request. */
export function signRequest(input: SignInput): Record<string, string> {
  const time = String(Math.floor(input.now));
  const nonce = input.nonce ?? randomBytes(16).toString('hex');
  return {
    [HEADER_NODE]: input.node,
    [HEADER_TIME]: time,
    [HEADER_NONCE]: nonce,
    [HEADER_SIGNATURE]: mac(input.key, input.method, input.path, time, nonce, input.node, input.body).toString('hex'),
  };
}

/** Remembers the nonces seen within the replay window. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(readonly windowMs = REPLAY_WINDOW_MS) {}

  /** Records the nonce unless it was seen already or its time is outside the window. */
  admit(nonce: string, time: number, now: number): 'ok' | 'expired' | 'replayed' {
    for (const [seenNonce, seenTime] of this.seen) {
      if (Math.abs(now - seenTime) <= this.windowMs) break;
      this.seen.delete(seenNonce);
    }
    if (Math.abs(now - time) > this.windowMs) return 'expired';
    if (this.seen.has(nonce)) return 'replayed';
    this.seen.set(nonce, now);
    return 'ok';
  }

  get size(): number {
    return this.seen.size;
  }
}

export type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? undefined : value;
}

function refused(message: string): ApplianceError {
  return new ApplianceError('AUTH_FAILED', `replication request refused: ${message}`);
}

export interface VerifyInput {
  key: Buffer;
  method: string;
  path: string;
  headers: Headers;
  body: Buffer;
  now: number;
  guard: ReplayGuard;
  /** The peer's node name, when this node knows it. */
  expectedNode?: string;
}

/** Checks a request's signature and freshness; returns the sender's node name or throws AUTH_FAILED. */
export function verifyRequest(input: VerifyInput): string {
  const node = header(input.headers, HEADER_NODE);
  const time = header(input.headers, HEADER_TIME);
  const nonce = header(input.headers, HEADER_NONCE);
  const signature = header(input.headers, HEADER_SIGNATURE);
  if (node === undefined || time === undefined || nonce === undefined || signature === undefined) {
    throw refused(`the headers ${HEADER_NODE}, ${HEADER_TIME}, ${HEADER_NONCE} and ${HEADER_SIGNATURE} are required`);
  }
  if (!NODE.test(node) || !TIME.test(time) || !NONCE.test(nonce) || !SIGNATURE.test(signature)) {
    throw refused('malformed authentication headers');
  }
  const expected = mac(input.key, input.method, input.path, time, nonce, node, input.body);
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    throw refused('bad signature (is the heartbeat key the same on both nodes?)');
  }
  if (input.expectedNode !== undefined && node !== input.expectedNode) {
    throw refused(`signed by ${node}, not by the peer ${input.expectedNode}`);
  }
  const verdict = input.guard.admit(nonce, Number(time), input.now);
  if (verdict === 'expired') {
    throw refused(
      `its time is more than ${input.guard.windowMs / 1000} s from this node's clock (are both clocks set?)`,
    );
  }
  if (verdict === 'replayed') throw refused('replayed');
  return node;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

function encryptionKey(key: Buffer): Buffer {
  return createHmac('sha256', key).update('sluice ha replica encryption v1').digest();
}

/** The request body on the wire: IV, AES-256-GCM ciphertext of `plain`, tag. The MAC is computed over these bytes. */
export function sealBody(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(key), iv);
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** The plain body of a sealed one; throws AUTH_FAILED if it was not sealed with this key. */
export function openBody(key: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw refused('the body is not sealed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey(key), sealed.subarray(0, IV_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new ApplianceError('AUTH_FAILED', 'replication request refused: the body cannot be decrypted', { cause });
  }
}
