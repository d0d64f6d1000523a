import { z } from 'zod';
import type { AdminStateEntry } from '../model/admin-state.js';
import type { NodeReport } from '../model/cluster-status.js';
import type { StoredVersion } from '../store/contract.js';
import type { ReplicaCertificate } from './replica-certificates.js';

/** What the version of one node is: its number and when it was made (equal numbers with different times diverged). */
export interface HeadInfo {
  version: number;
  time: string;
}

/**
 * The body of `PUT /api/v1/ha/replica`. With no versions it is a hello: the receiver
 * answers with its own head, and the newer node sends what the other lacks.
 */
export interface ReplicaMessage {
  format: 1;
  head: HeadInfo;
  /** Stored versions newer than the receiver's, ascending (each is stored under its own number). */
  versions: StoredVersion[];
  /** The sender's admin states; taken only from a sender whose version is not older. */
  adminStates?: AdminStateEntry[];
  active: boolean;
  /** The sender's certificate directory, and the files of it that `versions` name (replica-certificates.ts). */
  certificateDir?: string;
  certificates?: ReplicaCertificate[];
}

/** The receiver's answer (also inside an error answer, so that the sender learns the head). */
export interface ReplicaReply {
  node: string;
  head: HeadInfo;
  accepted: number[];
  active: boolean;
  /** ECMP: the follower's version it runs, its hold and its BGP part (absent in a pair). */
  report?: NodeReport;
}

const text = (max: number) => z.string().max(max);
const head = z.strictObject({ version: z.int().min(0).max(Number.MAX_SAFE_INTEGER), time: text(40) });

const adminState = z.strictObject({
  layer: z.enum(['layer4', 'layer7']),
  service: text(256),
  server: text(256),
  state: z.enum(['online', 'drain', 'offline']),
  author: text(256),
  time: text(40),
});

export const replicaMessageSchema = z.strictObject({
  format: z.literal(1),
  head,
  versions: z
    .array(
      z.strictObject({
        version: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
        author: text(1000),
        time: text(40),
        comment: text(4000),
        // The store validates the configuration itself (schema and semantics).
        config: z.record(z.string(), z.unknown()),
      }),
    )
    .max(10000),
  adminStates: z.array(adminState).max(1_000_000).optional(),
  active: z.boolean(),
  certificateDir: text(4096).optional(),
  // Bounded like an upload (certificate and key); the body's own limit bounds the sum.
  certificates: z
    .array(z.strictObject({ name: text(80), pem: text(320 * 1024) }))
    .max(10000)
    .optional(),
});

/** Read loosely: a report is shown, never acted on, and a newer follower may say more. */
export const nodeReportSchema = z.object({
  version: z.int().nullable(),
  hold: z.object({ drain: z.boolean(), stale: z.string().max(1000).optional() }),
  bgp: z
    .object({
      state: z.enum(['running', 'stopped', 'unavailable', 'failed']),
      detail: z.string().max(4000).exactOptional(),
      drained: z.boolean(),
      stale: z.string().max(1000).exactOptional(),
      peers: z
        .array(
          z.object({
            address: z.string(),
            asn: z.int(),
            state: z.string(),
            since: z.string().exactOptional(),
            info: z.string().exactOptional(),
          }),
        )
        .max(64),
      vips: z
        .array(
          z.object({ address: z.string(), state: z.enum(['announced', 'draining', 'withdrawn']), reason: z.string() }),
        )
        .max(100_000),
    })
    .exactOptional(),
});

export const replicaReplySchema = z.object({
  node: z.string(),
  head,
  accepted: z.array(z.int()),
  active: z.boolean(),
  // Checked on its own (replicator.ts): a report this node cannot read drops the report, not the reply.
  report: z.unknown().optional(),
});
