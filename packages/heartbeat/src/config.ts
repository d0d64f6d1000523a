import { HeartbeatError } from './errors.js';
import { NODE_ID, type PacketKey, type Role } from './packet.js';

/**
 * Timers, in milliseconds. The defaults aim at failover in about 150-200 ms on a LAN:
 * a heartbeat every 50 ms on every link, "late" after 2 missed heartbeats, dead after
 * 150 ms (3 consecutive heartbeats lost on every link at once, which on a LAN means the
 * node or all its links are gone, not a dropped packet), and 1 s at start for the peer
 * to show up before this node assumes it is alone. Raise them over lossy or slow links.
 */
export interface Timing {
  keepaliveMs: number;
  warntimeMs: number;
  deadtimeMs: number;
  initdeadMs: number;
  /**
   * Interval between the frames of one burst of gratuitous ARPs / unsolicited neighbour
   * advertisements (neighbour locktime is 1 s), and before a failed one is sent again.
   */
  announceRepeatMs: number;
  /**
   * Frames per burst (keepalived's `garp_master_repeat`, 1-100): a burst at each takeover and
   * re-announcement, so one lost frame does not leave clients on the old node's MAC.
   */
  announceCount: number;
  /** A second burst this long after the first (keepalived's `garp_master_delay`); 0: none. */
  announceDelayMs: number;
  /** While active, one frame this often (keepalived's `garp_master_refresh`); 0 (default): off. */
  announceRefreshMs: number;
  /** After a failed acquire, how long this node reports itself unhealthy before trying again. */
  acquireRetryMs: number;
}

export const DEFAULT_TIMING: Timing = {
  keepaliveMs: 50,
  warntimeMs: 100,
  deadtimeMs: 150,
  initdeadMs: 1000,
  announceRepeatMs: 1000,
  announceCount: 5,
  announceDelayMs: 5000,
  announceRefreshMs: 0,
  acquireRetryMs: 1000,
};

/** Each timer's bounds (default 1..600,000 ms); 0 turns the optional announcements off. */
const TIMING_BOUNDS: Partial<Record<keyof Timing, [number, number]>> = {
  announceCount: [1, 100],
  announceDelayMs: [0, 600_000],
  announceRefreshMs: [0, 86_400_000],
};

export interface KeyInput {
  id: number;
  /** The shared secret: a Buffer, or a hex string; at least 16 bytes (32 recommended). */
  secret: Buffer | string;
}

export interface NodeConfigInput {
  nodeId: string;
  peerId: string;
  role: Role;
  /** Tie-breaker after role (higher wins), 0-65535; default 100. */
  priority?: number;
  /** The appliance's configuration version, carried so the pair can spot a mismatch. */
  configVersion?: number;
  /** Whether the master takes its resources back when it returns (default true). */
  autoFailback?: boolean;
  /** One key, or two during a rotation. */
  keys: readonly KeyInput[];
  /** The key id this node signs with (default: the first key). */
  sendKeyId?: number;
  timing?: Partial<Timing>;
}

export interface NodeConfig {
  nodeId: string;
  peerId: string;
  role: Role;
  priority: number;
  configVersion: number;
  autoFailback: boolean;
  keys: PacketKey[];
  sendKey: PacketKey;
  timing: Timing;
}

function invalid(field: string, message: string): HeartbeatError {
  return new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `${field}: ${message}`, { field });
}

function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer in ${min}..${max}`);
  }
  return value;
}

function secretBytes(field: string, secret: unknown): Buffer {
  let bytes: Buffer;
  if (Buffer.isBuffer(secret)) bytes = Buffer.from(secret);
  else if (typeof secret === 'string' && /^([0-9a-fA-F]{2})+$/.test(secret)) bytes = Buffer.from(secret, 'hex');
  else throw invalid(field, 'must be a Buffer or a hex string');
  if (bytes.length < 16) throw invalid(field, 'must be at least 16 bytes');
  return bytes;
}

/** Validates a node's configuration and fills in the defaults; the first fault wins. */
export function resolveNodeConfig(input: NodeConfigInput): NodeConfig {
  if (typeof input !== 'object' || input === null) throw invalid('config', 'must be an object');
  for (const field of ['nodeId', 'peerId'] as const) {
    if (typeof input[field] !== 'string' || !NODE_ID.test(input[field])) {
      throw invalid(field, 'must be 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit');
    }
  }
  if (input.nodeId === input.peerId) throw invalid('peerId', 'must differ from nodeId');
  if (input.role !== 'master' && input.role !== 'slave') throw invalid('role', 'must be "master" or "slave"');
  const priority = integer('priority', input.priority ?? 100, 0, 0xffff);
  const configVersion = integer('configVersion', input.configVersion ?? 0, 0, Number.MAX_SAFE_INTEGER);
  if (input.autoFailback !== undefined && typeof input.autoFailback !== 'boolean') {
    throw invalid('autoFailback', 'must be a boolean');
  }
  if (!Array.isArray(input.keys) || input.keys.length < 1 || input.keys.length > 2) {
    throw invalid('keys', 'must hold one key, or two during a rotation');
  }
  const keys = input.keys.map((key, i) => ({
    id: integer(`keys[${i}].id`, key?.id, 1, 255),
    secret: secretBytes(`keys[${i}].secret`, key?.secret),
  }));
  if (keys.length === 2 && keys[0]?.id === keys[1]?.id) throw invalid('keys[1].id', 'must differ from keys[0].id');
  const sendKeyId = input.sendKeyId ?? keys[0]?.id;
  const sendKey = keys.find((k) => k.id === sendKeyId);
  if (!sendKey) throw invalid('sendKeyId', 'must be the id of one of the keys');
  const timing = { ...DEFAULT_TIMING };
  for (const [name, value] of Object.entries(input.timing ?? {})) {
    if (!(name in DEFAULT_TIMING)) throw invalid(`timing.${name}`, 'is not a known timer');
    const [min, max] = TIMING_BOUNDS[name as keyof Timing] ?? [1, 600_000];
    timing[name as keyof Timing] = integer(`timing.${name}`, value, min, max);
  }
  if (timing.announceRefreshMs !== 0 && timing.announceRefreshMs < 1000) {
    throw invalid('timing.announceRefreshMs', 'must be 0 (off) or at least 1000');
  }
  if (timing.warntimeMs < timing.keepaliveMs) throw invalid('timing.warntimeMs', 'must be at least keepaliveMs');
  if (timing.deadtimeMs < 2 * timing.keepaliveMs) {
    throw invalid('timing.deadtimeMs', 'must be at least twice keepaliveMs (one lost heartbeat is not a death)');
  }
  if (timing.deadtimeMs < timing.warntimeMs) throw invalid('timing.deadtimeMs', 'must be at least warntimeMs');
  if (timing.initdeadMs < timing.deadtimeMs) throw invalid('timing.initdeadMs', 'must be at least deadtimeMs');
  return {
    nodeId: input.nodeId,
    peerId: input.peerId,
    role: input.role,
    priority,
    configVersion,
    autoFailback: input.autoFailback ?? true,
    keys,
    sendKey,
    timing,
  };
}
