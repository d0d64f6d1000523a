import { z } from 'zod';
import type { DiffEntry } from '../../model/diff.js';
import { administrationSchema, configSchema, heartbeatSchema, userSchema } from '../../model/schema.js';
import type { ConfigWarning } from '../../model/validate.js';
import type { VersionInfo } from '../../model/version-info.js';
import { REDACTED } from '../secrets.js';
import type { Agrees } from './agree.js';
import { applyReportSchema } from './status.js';

// The configuration as the API shows it: the stored configuration (every default filled
// in), where a secret may read REDACTED (history, a read-only user) and a read-only user
// sees no password hash.

const redacted = z.literal(REDACTED);

/** A user as GET /config shows it: the hash redacted in history, absent for a read-only reader. */
export const presentedUserSchema = userSchema.extend({
  passwordHash: z.union([userSchema.shape.passwordHash, redacted]).optional(),
});

/** A user as /users shows it: never the hash. */
export const listedUserSchema = userSchema.omit({ passwordHash: true });

export const presentedHeartbeatSchema = heartbeatSchema.extend({
  key: z.union([heartbeatSchema.shape.key, redacted]),
});

export const presentedAdministrationSchema = administrationSchema.extend({
  users: z.array(presentedUserSchema),
});

export const presentedConfigSchema = configSchema.extend({
  heartbeat: presentedHeartbeatSchema.optional(),
  administration: presentedAdministrationSchema,
});

export const configWarningSchema = z.strictObject({
  code: z.enum([
    'CONFIG_NAT_GATEWAY',
    'CONFIG_DR_ARP',
    'CONFIG_NO_REAL_SERVERS',
    'CONFIG_MH_ORDER',
    'HOST_ADDRESS_UNPLACED',
    'HOST_PART_UNAVAILABLE',
    'HOST_NODE_UNLISTED',
  ]),
  field: z.string(),
  message: z.string(),
});
const _warning: Agrees<typeof configWarningSchema, ConfigWarning> = true;

export const diffEntrySchema = z.strictObject({
  path: z.string(),
  op: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().exactOptional(),
  after: z.unknown().exactOptional(),
});
const _diff: Agrees<typeof diffEntrySchema, DiffEntry> = true;

export const versionInfoSchema = z.strictObject({
  version: z.int(),
  author: z.string(),
  time: z.string(),
  comment: z.string(),
});
const _version: Agrees<typeof versionInfoSchema, VersionInfo> = true;

/** A stored version with its configuration (secrets redacted). */
export const storedVersionSchema = versionInfoSchema.extend({ config: presentedConfigSchema });

const writeFields = {
  version: z.int().describe('the version the write made (the current one when it changed nothing)'),
  unchanged: z.literal(true).optional().describe('the write changed nothing: no version was made'),
  warnings: z.array(configWarningSchema).describe('about what was written (see warningsTotal)'),
  warningsTotal: z.int().describe('the warnings of the whole configuration'),
  changes: z.array(diffEntrySchema),
  applied: applyReportSchema.optional().describe('with ?wait=applied'),
};

/** The answer to a configuration write (writes.ts `writeReply`), with the route's own fields. */
export function writeReplySchema<Shape extends z.ZodRawShape>(extra: Shape) {
  return z.strictObject({ ...writeFields, ...extra });
}

export const plainWriteReplySchema = writeReplySchema({});
