import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApplianceError } from '../errors.js';

/**
 * The peer-to-peer replication channel. The body is encrypted (AES-256-GCM) because a
 * configuration holds the heartbeat key itself and the users' password hashes, and the
 * admin port is plain HTTP. A request carries five headers and is signed with
 * HMAC-SHA256 under a key derived from the heartbeat key (so a captured heartbeat MAC and a
 * replication MAC can never be swapped): the MAC covers the method, the path, the sender's
 * clock, a random nonce, the sender's node name and the SHA-256 digest of the body. The
 * digest travels in a header so that the receiver can authenticate a request from its
 * headers alone, before it reads a byte of the body (the endpoint is public: a stranger's
 * body is never read), and then checks the body against the digest as it streams in.
 *
 * Freshness is judged on one clock, the sender's time in the request: the receiver
 * accepts a request dated at most REPLAY_WINDOW_MS behind its own clock and at most
 * CLOCK_SKEW_MS ahead of it, and remembers each nonce until the request's own time plus
 * the window, that is for as long as the request could be accepted at all. (Keepalived's
 * VRRP authentication has no clock and only sequence numbers; Seesaw leans on TLS. Here
 * the admin port is plain HTTP, so the request itself carries its freshness.)
 */
export const REPLICA_PATH = '/api/v1/ha/replica';
export const REPLAY_WINDOW_MS = 30_000;
/**
 * How far ahead of this node's clock a request may be dated. Small: a request dated
 * ahead stays acceptable longer (until its own time plus the window), and a pair whose
 * clocks are kept by NTP is within milliseconds.
 */
export const CLOCK_SKEW_MS = 5_000;
/** The largest configuration the API takes (`PUT /config`, BIG_BODY in src/api/routes/config.ts). */
export const CONFIG_BODY_LIMIT = 64 * 1024 * 1024;
/**
 * The largest request body accepted, refused from its Content-Length before it is read.
 * A real replica is at most one version of the largest configuration the API takes (the
 * sender packs smaller versions into 8 MiB requests) plus the envelope: version metadata,
 * the admin states and the seal. 8 MiB of headroom holds the admin states of 10,000 real
 * servers several times over.
 */
export const REPLICA_MAX_BODY = CONFIG_BODY_LIMIT + 8 * 1024 * 1024;
/**
 * Replica requests read at once. The sender serialises its requests, so a real peer has
 * one in flight; the second place takes a retry whose first attempt the peer has not
 * seen end yet. More are refused at once (HA_BUSY) without reading them.
 */
export const REPLICA_MAX_IN_FLIGHT = 2;

export const HEADER_NODE = 'x-sluice-ha-node';
export const HEADER_TIME = 'x-sluice-ha-time';
export const HEADER_NONCE = 'x-sluice-ha-nonce';
export const HEADER_SIGNATURE = 'x-sluice-ha-signature';
/** The SHA-256 of the (sealed) body, hex: signed, so a body is judged only after its headers are. */
export const HEADER_DIGEST = 'x-sluice-ha-digest';

const NONCE = /^[0-9a-f]{32}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const NODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TIME = /^\d{1,16}$/;
const DIGEST = /^[0-9a-f]{64}$/;

/** The replication key: HMAC-SHA256(heartbeat key, label), never the heartbeat key itself. */
export function replicaKey(heartbeatKey: string): Buffer {
  return createHmac('sha256', Buffer.from(heartbeatKey, 'utf8')).update('sluice ha replica v1').digest();
}

function mac(key: Buffer, method: string, path: string, time: string, nonce: string, node: string, digest: string) {
  return createHmac('sha256', key)
    .update(`${method.toUpperCase()}\n${path}\n${time}\n${nonce}\n${node}\n${digest}\n`)
    .digest();
}

/** The body digest that the signature covers (hex SHA-256 of the bytes on the wire). */
export function bodyDigest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
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
  const digest = bodyDigest(input.body);
  return {
    [HEADER_NODE]: input.node,
    [HEADER_TIME]: time,
    [HEADER_NONCE]: nonce,
    [HEADER_DIGEST]: digest,
    [HEADER_SIGNATURE]: mac(input.key, input.method, input.path, time, nonce, input.node, digest).toString('hex'),
  };
}

/**
 * Remembers the nonces of authenticated requests, on the sender's clock: each until the
 * request's own time plus the window, when it would be refused as expired anyway. (It
 * was kept for the window from its arrival: a request dated 25 s ahead, forgotten 30 s
 * after it was accepted, was still fresh when played again 32 s later.)
 */
export class ReplayGuard {
  /** nonce -> the sender's time after which its request is expired. */
  private readonly seen = new Map<string, number>();

  constructor(
    readonly windowMs = REPLAY_WINDOW_MS,
    readonly skewMs = CLOCK_SKEW_MS,
  ) {}

  /**
   * Judges a request dated `time` (the sender's clock) arriving at `now` (this node's),
   * and records its nonce unless it is expired. A request from too far ahead is refused
   * but its nonce still recorded: played again once its time has come, it is a replay.
   */
  admit(nonce: string, time: number, now: number): 'ok' | 'expired' | 'future' | 'replayed' {
    for (const [seenNonce, expires] of this.seen) {
      if (now > expires) this.seen.delete(seenNonce);
    }
    if (now - time > this.windowMs) return 'expired';
    if (this.seen.has(nonce)) return 'replayed';
    this.seen.set(nonce, time + this.windowMs);
    if (time - now > this.skewMs) return 'future';
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

export interface VerifyHeadersInput {
  key: Buffer;
  method: string;
  path: string;
  headers: Headers;
  now: number;
  guard: ReplayGuard;
  /** The peer's node name, when this node knows it. */
  expectedNode?: string;
}

export interface VerifyInput extends VerifyHeadersInput {
  body: Buffer;
}

/** What the headers of an authenticated request say. */
export interface VerifiedHeaders {
  node: string;
  /** The body's SHA-256 (hex) that the signature covers: the body must match it. */
  digest: string;
}

/**
 * Checks a request's signature and freshness from its headers alone, before its body is
 * read; records the nonce. Returns the sender's node name and the signed body digest, or
 * throws AUTH_FAILED.
 */
export function verifyHeaders(input: VerifyHeadersInput): VerifiedHeaders {
  const node = header(input.headers, HEADER_NODE);
  const time = header(input.headers, HEADER_TIME);
  const nonce = header(input.headers, HEADER_NONCE);
  const digest = header(input.headers, HEADER_DIGEST);
  const signature = header(input.headers, HEADER_SIGNATURE);
  if (
    node === undefined ||
    time === undefined ||
    nonce === undefined ||
    digest === undefined ||
    signature === undefined
  ) {
    throw refused(
      `the headers ${HEADER_NODE}, ${HEADER_TIME}, ${HEADER_NONCE}, ${HEADER_DIGEST} and ${HEADER_SIGNATURE} are required`,
    );
  }
  if (
    !NODE.test(node) ||
    !TIME.test(time) ||
    !NONCE.test(nonce) ||
    !DIGEST.test(digest) ||
    !SIGNATURE.test(signature)
  ) {
    throw refused('malformed authentication headers');
  }
  const expected = mac(input.key, input.method, input.path, time, nonce, node, digest);
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    throw refused('bad signature (is the heartbeat key the same on both nodes?)');
  }
  if (input.expectedNode !== undefined && node !== input.expectedNode) {
    throw refused(`signed by ${node}, not by the peer ${input.expectedNode}`);
  }
  const verdict = input.guard.admit(nonce, Number(time), input.now);
  if (verdict === 'expired') {
    throw refused(
      `its time is more than ${input.guard.windowMs / 1000} s behind this node's clock (are both clocks set?)`,
    );
  }
  if (verdict === 'future') {
    throw refused(
      `its time is more than ${input.guard.skewMs / 1000} s ahead of this node's clock (are both clocks set?)`,
    );
  }
  if (verdict === 'replayed') throw refused('replayed');
  return { node, digest };
}

/** Refuses a body whose SHA-256 is not the signed one. */
export function checkDigest(verified: VerifiedHeaders, actual: string): void {
  if (actual !== verified.digest) throw refused('the body does not match its signed digest');
}

/** Checks a whole request, headers and body; returns the sender's node name or throws AUTH_FAILED. */
export function verifyRequest(input: VerifyInput): string {
  const verified = verifyHeaders(input);
  checkDigest(verified, bodyDigest(input.body));
  return verified.node;
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
