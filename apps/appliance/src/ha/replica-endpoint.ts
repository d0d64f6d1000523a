import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AdminStates } from '../admin-states/contract.js';
import { ApplianceError } from '../errors.js';
import type { NodeReport } from '../model/cluster-status.js';
import type { ConfigStore, StoredVersion } from '../store/contract.js';
import { relocateCertificates, writeCertificates } from './replica-certificates.js';
import { type HeadInfo, type ReplicaMessage, type ReplicaReply, replicaMessageSchema } from './replica-message.js';
import {
  checkDigest,
  type Headers,
  openBody,
  REPLICA_MAX_BODY,
  REPLICA_MAX_IN_FLIGHT,
  REPLICA_PATH,
  ReplayGuard,
  type VerifiedHeaders,
  verifyHeaders,
} from './replica-protocol.js';

export interface ReplicaResult {
  status: number;
  body: ReplicaReply | { error: ReturnType<ApplianceError['toJSON']>; node: string; head: HeadInfo };
  /** Seconds, with HA_BUSY. */
  retryAfter?: number;
}

/** What the endpoint tells its owner after each accepted request (the peer's head, for status). */
export interface ReplicaEvent {
  from: string;
  peerHead: HeadInfo;
  peerActive: boolean;
  accepted: number[];
  /** The certificate files written with them (names in this node's certificate directory). */
  certificates?: string[];
}

export interface ReplicaEndpointDeps {
  store: Pick<ConfigStore, 'current' | 'acceptReplica'>;
  adminStates: Pick<AdminStates, 'replaceAll'>;
  /** The replication key; undefined while HA is off on this node. */
  key(): Buffer | undefined;
  nodeName(): string;
  /** The peer's node name, when known: a request signed by another name is refused. */
  peerName(): string | undefined;
  isActive(): boolean;
  /** ECMP: what this follower tells the configuring node in each reply. */
  report?(): NodeReport;
  now?: () => number;
  guard?: ReplayGuard;
  onReplica?(event: ReplicaEvent): void;
  /** This node's SSL termination certificates (`<dataDir>/certificates`); undefined: certificates sent are not taken. */
  certificateDir?: string;
}

export interface ReplicaEndpoint {
  /** Handles `PUT /api/v1/ha/replica`: the raw (sealed) body, whose bytes the MAC covers, and the request headers. */
  handleReplica(body: Buffer | string, headers: Headers, method?: string, path?: string): Promise<ReplicaResult>;
  /**
   * The same, for a request whose body is still arriving: HA off, a body over the limit
   * (from its Content-Length), too many requests at once and a request whose headers do
   * not authenticate are refused before a byte of the body is read; an authenticated body
   * streams through the digest that the signature covers. The caller answers (and drops
   * or refuses what is left of an unread body).
   */
  handleRequest(req: IncomingMessage): Promise<ReplicaResult>;
}

const STATUS: Partial<Record<ApplianceError['code'], number>> = {
  AUTH_FAILED: 401,
  API_BAD_REQUEST: 400,
  API_BODY_TOO_LARGE: 413,
  API_METHOD_NOT_ALLOWED: 405,
  HA_DISABLED: 409,
  HA_BUSY: 503,
  HA_STALE_VERSION: 409,
  STORE_CONFLICT: 409,
  CONFIG_REJECTED: 422,
  STORE_INVALID_ARGUMENT: 400,
};

export function headOf(version: StoredVersion): HeadInfo {
  return { version: version.version, time: version.time };
}

/** Where an HA_BUSY sender retries; the Replicator's own rhythm is 15 s anyway. */
const BUSY_RETRY_SECONDS = 1;

/** A request as the endpoint takes it: the body may still be arriving. */
interface Incoming {
  headers: Headers;
  method: string;
  path: string;
  /** The announced length; undefined for a chunked body or none announced. */
  length: number | undefined;
  body: AsyncIterable<Buffer> | Iterable<Buffer>;
}

/** The Content-Length of a request with a plain (not chunked) body. */
function announcedLength(req: IncomingMessage): number | undefined {
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const text = req.headers['content-length'];
  return text !== undefined && /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}

/**
 * Reads an authenticated body through SHA-256 and checks it against the signed digest
 * before anyone looks at it; `length` is the announced one, already within the limit.
 */
async function readBody(
  body: AsyncIterable<Buffer> | Iterable<Buffer>,
  length: number,
  verified: VerifiedHeaders,
): Promise<Buffer> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > length) break;
      hash.update(chunk);
      chunks.push(chunk);
    }
  } catch (cause) {
    throw new ApplianceError('API_BAD_REQUEST', `the body could not be read: ${(cause as Error).message}`, {
      cause,
      field: '(body)',
    });
  }
  if (size !== length) {
    throw new ApplianceError('API_BAD_REQUEST', `the body is not the ${length} bytes announced`, { field: '(body)' });
  }
  checkDigest(verified, hash.digest('hex'));
  return Buffer.concat(chunks, size);
}

/**
 * The receiving side of replication. A version is stored under the sender's number only
 * if it is newer than this node's (ConfigStore.acceptReplica), which the commit pipeline
 * then applies as it applies a local commit; an older
 * or equal one is refused with HA_STALE_VERSION and the answer carries this node's head,
 * so the sender learns that it is the one behind.
 */
export function createReplicaEndpoint(deps: ReplicaEndpointDeps): ReplicaEndpoint {
  const now = deps.now ?? Date.now;
  const guard = deps.guard ?? new ReplayGuard();
  /** Requests between their place taken and their answer (the cap: REPLICA_MAX_IN_FLIGHT). */
  let inFlight = 0;

  const reply = (accepted: number[]): ReplicaReply => ({
    node: deps.nodeName(),
    head: headOf(deps.store.current()),
    accepted,
    active: deps.isActive(),
    ...(deps.report === undefined ? {} : { report: deps.report() }),
  });
  const failure = (error: unknown): ReplicaResult => {
    const coded =
      error instanceof ApplianceError
        ? error
        : new ApplianceError('STORE_IO', `replication failed: ${(error as Error)?.message ?? String(error)}`, {
            cause: error,
          });
    return {
      status: STATUS[coded.code] ?? 500,
      body: { error: coded.toJSON(), node: deps.nodeName(), head: headOf(deps.store.current()) },
      ...(coded.code === 'HA_BUSY' ? { retryAfter: BUSY_RETRY_SECONDS } : {}),
    };
  };

  // Everything before the body is read is decided from the headers, synchronously: what
  // is refused here costs no memory (the body of a public endpoint is a stranger's).
  async function handle(input: Incoming): Promise<ReplicaResult> {
    const key = deps.key();
    if (key === undefined) throw new ApplianceError('HA_DISABLED', 'HA is not configured on this node');
    const { method, path, length } = input;
    if (method !== 'PUT') throw new ApplianceError('API_METHOD_NOT_ALLOWED', `${method} is not allowed here; use PUT`);
    if (length === undefined) {
      throw new ApplianceError('API_BAD_REQUEST', 'a replica request announces its Content-Length (not chunked)', {
        field: 'content-length',
      });
    }
    if (length > REPLICA_MAX_BODY) {
      throw new ApplianceError('API_BODY_TOO_LARGE', `the body of ${length} bytes exceeds ${REPLICA_MAX_BODY} bytes`, {
        field: 'content-length',
      });
    }
    // Before the signature, so that a request refused for want of room burns no nonce.
    if (inFlight >= REPLICA_MAX_IN_FLIGHT) {
      throw new ApplianceError(
        'HA_BUSY',
        `this node is already taking ${REPLICA_MAX_IN_FLIGHT} replica requests; retry`,
      );
    }
    const peer = deps.peerName();
    const verified = verifyHeaders({
      key,
      method,
      path,
      headers: input.headers,
      now: now(),
      guard,
      ...(peer === undefined ? {} : { expectedNode: peer }),
    });
    inFlight++;
    try {
      return await take(key, verified.node, await readBody(input.body, length, verified));
    } finally {
      inFlight--;
    }
  }

  async function take(key: Buffer, from: string, raw: Buffer): Promise<ReplicaResult> {
    const plain = openBody(key, raw);
    let message: ReplicaMessage;
    try {
      const parsed = replicaMessageSchema.safeParse(JSON.parse(plain.toString('utf8')));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join('.') ?? '';
        throw new ApplianceError('API_BAD_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`, { field });
      }
      message = parsed.data as unknown as ReplicaMessage;
    } catch (error) {
      if (error instanceof ApplianceError) throw error;
      throw new ApplianceError('API_BAD_REQUEST', 'the body is not JSON', { cause: error });
    }
    for (let i = 1; i < message.versions.length; i++) {
      if ((message.versions[i]?.version ?? 0) <= (message.versions[i - 1]?.version ?? 0)) {
        throw new ApplianceError('API_BAD_REQUEST', 'versions must be in ascending order', {
          field: `versions[${i}].version`,
        });
      }
    }
    const accepted: number[] = [];
    const newer = message.versions.filter((version) => version.version > deps.store.current().version);
    if (message.versions.length > 0 && newer.length === 0) {
      deps.onReplica?.({ from, peerHead: message.head, peerActive: message.active, accepted });
      const mine = deps.store.current().version;
      throw new ApplianceError(
        'HA_STALE_VERSION',
        `this node holds version ${mine}; version ${message.versions.at(-1)?.version} is not newer`,
        { field: 'versions' },
      );
    }
    // The certificates first: the versions naming them are applied as soon as they are stored.
    const dir = deps.certificateDir;
    const certificates = dir === undefined ? [] : await writeCertificates(message.certificates ?? [], dir);
    // Each version stored here is applied like any other: the store tells the daemon's
    // commit pipeline (src/pipeline), which hands a burst to the engine once.
    for (const version of newer) {
      const stored = dir === undefined ? version : relocateCertificates(version, message.certificateDir, dir);
      await deps.store.acceptReplica(stored, from);
      accepted.push(version.version);
    }
    // Admin states travel without a version: take them from a node that is not behind.
    if (message.adminStates !== undefined && message.head.version >= deps.store.current().version) {
      await deps.adminStates.replaceAll(message.adminStates);
    }
    deps.onReplica?.({
      from,
      peerHead: message.head,
      peerActive: message.active,
      accepted,
      ...(certificates.length === 0 ? {} : { certificates }),
    });
    return { status: 200, body: reply(accepted) };
  }

  return {
    async handleReplica(body, headers, method = 'PUT', path = REPLICA_PATH) {
      const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      try {
        return await handle({ headers, method, path, length: raw.length, body: [raw] });
      } catch (error) {
        return failure(error);
      }
    },
    async handleRequest(req) {
      try {
        const length = announcedLength(req);
        return await handle({
          headers: req.headers,
          method: req.method ?? 'GET',
          path: REPLICA_PATH,
          length,
          body: req,
        });
      } catch (error) {
        return failure(error);
      }
    },
  };
}
