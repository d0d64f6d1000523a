import type { Dispatcher } from 'undici';
import type { AdminStates } from '../admin-states/contract.js';
import { ApplianceError } from '../errors.js';
import type { AdminStateEntry } from '../model/admin-state.js';
import { serial } from '../serial.js';
import type { ConfigStore, StoredVersion } from '../store/contract.js';
import { certificatesOf } from './replica-certificates.js';
import { headOf } from './replica-endpoint.js';
import {
  type HeadInfo,
  nodeReportSchema,
  type ReplicaMessage,
  type ReplicaReply,
  replicaReplySchema,
} from './replica-message.js';
import { REPLICA_PATH, sealBody, signRequest } from './replica-protocol.js';

/** A peer's answer, with an ECMP follower's report when it is one this node can read. */
function parseReply(answer: unknown): { success: true; data: ReplicaReply } | { success: false } {
  const parsed = replicaReplySchema.safeParse(answer);
  if (!parsed.success) return { success: false };
  const { report, ...reply } = parsed.data;
  const readable = report === undefined ? undefined : nodeReportSchema.safeParse(report).data;
  return { success: true, data: { ...reply, ...(readable === undefined ? {} : { report: readable }) } };
}

/** Versions per request are bounded by size, so a long catch-up does not make one huge body. */
const CHUNK_BYTES = 8 * 1024 * 1024;
const MAX_KEYS = 4;

export interface ReplicatorOptions {
  store: Pick<ConfigStore, 'current' | 'get'>;
  adminStates: Pick<AdminStates, 'list'>;
  /** The replication key of the current configuration. */
  key: Buffer;
  /** The replication keys of earlier versions, newest first (tried when the peer refuses the current one). */
  previousKeys?(): Promise<Buffer[]>;
  /** This node's name, which signs the requests. */
  node: string;
  /** The peer's admin base URL (`http://192.0.2.2:9080`). */
  peerUrl: string;
  isActive(): boolean;
  now?: () => number;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  /** This node's SSL termination certificates (`<dataDir>/certificates`): the ones the sent versions name travel with them. */
  certificateDir?: string;
  /** Each answer of the peer: its node name, head and role. */
  onPeer?(reply: ReplicaReply): void;
}

export interface SyncOutcome {
  peerHead: HeadInfo;
  /** The versions the peer stored in this sync. */
  sent: number[];
}

/**
 * The sending side: tells the peer this node's head (a hello), learns the peer's, and
 * sends every version the peer lacks, oldest first. It only ever sends versions newer
 * than the peer's, so the peer's newer version is never asked to step back; a node that
 * is behind simply learns it here and receives the newer versions from the peer's own
 * sync. Calls are serialised.
 */
export class Replicator {
  private readonly options: ReplicatorOptions;
  private readonly queue = serial();
  /** The peer's head as last heard; undefined until the first answer. */
  peerHead: HeadInfo | undefined;
  peerActive: boolean | undefined;
  peerName: string | undefined;
  /** Why the last exchange failed; undefined after a success. */
  lastError: string | undefined;
  private goodKey: Buffer | undefined;

  constructor(options: ReplicatorOptions) {
    this.options = options;
  }

  /**
   * Compare heads and send what the peer lacks (with the admin states when this node is
   * active). `fresh` asks the peer for its head first rather than trusting the last one
   * heard (the peer may have restarted with other data).
   */
  sync(adminStates?: readonly AdminStateEntry[], fresh = false): Promise<SyncOutcome> {
    const task = () => {
      if (fresh) this.peerHead = undefined;
      return this.exchange(adminStates);
    };
    return this.queue(task);
  }

  private async exchange(adminStates: readonly AdminStateEntry[] | undefined): Promise<SyncOutcome> {
    try {
      const states = this.options.isActive() ? [...(adminStates ?? this.options.adminStates.list())] : undefined;
      let peerHead = this.peerHead ?? (await this.send([], undefined)).head;
      const sent: number[] = [];
      let head = this.options.store.current();
      if (peerHead.version < head.version) {
        let chunk: StoredVersion[] = [];
        let bytes = 0;
        for (let version = peerHead.version + 1; version <= head.version; version++) {
          const stored = await this.options.store.get(version).catch((error: unknown) => {
            // A gap in this node's own history (a version received after a split): start from what exists.
            if (error instanceof ApplianceError && error.code === 'STORE_NOT_FOUND') return undefined;
            throw error;
          });
          if (stored === undefined) continue;
          const size = JSON.stringify(stored).length;
          if (chunk.length > 0 && bytes + size > CHUNK_BYTES) {
            const reply = await this.send(chunk, undefined);
            sent.push(...reply.accepted);
            chunk = [];
            bytes = 0;
          }
          chunk.push(stored);
          bytes += size;
        }
        head = this.options.store.current();
        const reply = await this.send(chunk, states);
        sent.push(...reply.accepted);
        peerHead = reply.head;
      } else if (states !== undefined && peerHead.version === head.version) {
        peerHead = (await this.send([], states)).head;
      }
      this.lastError = undefined;
      return { peerHead, sent };
    } catch (error) {
      this.lastError = (error as Error).message;
      throw error;
    }
  }

  /** The keys to try, the one that last worked first (distinct, at most MAX_KEYS). */
  private async candidateKeys(): Promise<Buffer[]> {
    const previous = (await this.options.previousKeys?.().catch(() => [])) ?? [];
    const out: Buffer[] = [];
    for (const key of [this.goodKey, this.options.key, ...previous]) {
      if (key !== undefined && !out.some((k) => k.equals(key)) && out.length < MAX_KEYS) out.push(key);
    }
    return out;
  }

  /** One sealed, signed PUT; retried once on a closed kept-alive connection. */
  private async post(key: Buffer, plain: Buffer): Promise<{ statusCode: number; answer: unknown }> {
    const body = sealBody(key, plain);
    const timeout = this.options.timeoutMs ?? 10_000;
    for (let attempt = 1; ; attempt++) {
      // Signed per attempt: a retry carries a new nonce, so the peer does not take it for a replay.
      const headers = signRequest({
        key,
        method: 'PUT',
        path: REPLICA_PATH,
        node: this.options.node,
        body,
        now: (this.options.now ?? Date.now)(),
      });
      try {
        // Loaded on first use: a standalone node never needs the HTTP client, and loading it costs the start.
        const { request } = await import('undici');
        const response = await request(new URL(REPLICA_PATH, this.options.peerUrl), {
          method: 'PUT',
          body,
          headers: { ...headers, 'content-type': 'application/octet-stream' },
          headersTimeout: timeout,
          bodyTimeout: timeout,
          ...(this.options.dispatcher === undefined ? {} : { dispatcher: this.options.dispatcher }),
        });
        return { statusCode: response.statusCode, answer: await response.body.json().catch(() => undefined) };
      } catch (cause) {
        // A kept-alive connection that the peer closed (it restarted) fails once; a new one may not.
        // Sending again is safe: the peer stores only versions newer than its own.
        const code = (cause as { code?: string }).code;
        if (attempt === 1 && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) continue;
        throw new ApplianceError(
          'HA_PEER',
          `the peer at ${this.options.peerUrl} is unreachable: ${(cause as Error).message}`,
          {
            cause,
          },
        );
      }
    }
  }

  /**
   * One exchange. After a change of `heartbeat.key` the peer still holds the old key until
   * it receives the version that changes it, so a request the peer cannot authenticate is
   * sent again with the keys of earlier versions. A refusal that names the peer's head
   * (HA_STALE_VERSION) still updates it.
   */
  private async send(versions: StoredVersion[], adminStates: AdminStateEntry[] | undefined): Promise<ReplicaReply> {
    const current = this.options.store.current();
    const dir = this.options.certificateDir;
    const certificates = dir === undefined || versions.length === 0 ? [] : await certificatesOf(versions, dir);
    const message: ReplicaMessage = {
      format: 1,
      head: headOf(current),
      versions,
      ...(adminStates === undefined ? {} : { adminStates }),
      active: this.options.isActive(),
      ...(dir === undefined ? {} : { certificateDir: dir }),
      ...(certificates.length === 0 ? {} : { certificates }),
    };
    const plain = Buffer.from(JSON.stringify(message), 'utf8');
    const keys = await this.candidateKeys();
    let statusCode = 0;
    let answer: unknown;
    for (const [i, key] of keys.entries()) {
      ({ statusCode, answer } = await this.post(key, plain));
      const refusedKey = statusCode === 401 && (answer as { error?: { code?: string } })?.error?.code === 'AUTH_FAILED';
      if (!refusedKey) {
        this.goodKey = key;
        break;
      }
      if (i === keys.length - 1) break;
    }
    const envelope = answer as { error?: { code?: string; message?: string }; head?: unknown } | undefined;
    const reply = parseReply(answer);
    const peerHead = reply.success ? reply.data.head : replicaReplySchema.shape.head.safeParse(envelope?.head).data;
    if (peerHead !== undefined) this.peerHead = peerHead;
    if (reply.success) {
      this.peerActive = reply.data.active;
      this.peerName = reply.data.node;
      this.options.onPeer?.(reply.data);
    }
    if (statusCode === 200 && reply.success) return reply.data;
    const code = envelope?.error?.code ?? `HTTP ${statusCode}`;
    if (code === 'HA_STALE_VERSION') {
      // The peer holds as much as we sent or more: nothing to send, and not a failure. An
      // answer without the peer's head (through the API's error envelope) is asked again.
      if (peerHead === undefined && versions.length > 0) return this.send([], adminStates);
      if (peerHead !== undefined) {
        return { node: this.peerName ?? '', head: peerHead, accepted: [], active: this.peerActive ?? false };
      }
    }
    throw new ApplianceError(
      'HA_PEER',
      `the peer refused replication (${code}): ${envelope?.error?.message ?? 'no explanation'}`,
    );
  }
}
