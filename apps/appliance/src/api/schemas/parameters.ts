import { z } from 'zod';
import { LOG_CHANNELS, LOG_LEVELS } from '../../logs/index.js';
import type { WRITE_QUERY } from '../writes.js';

const POSITIVE = 'must be a positive integer';

/** A positive integer as a query or path parameter: a string of digits, an integer in the document. */
export const positiveInt = z
  .string()
  .regex(/^(?=\d{1,15}$)0*[1-9]\d*$/, POSITIVE)
  .transform(Number)
  .pipe(z.int().min(1).max(Number.MAX_SAFE_INTEGER));

const integerFrom = (min: number, max: number, message: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, message)
    .refine((text) => Number(text) >= min && Number(text) <= max, message)
    .transform(Number)
    .pipe(z.int().min(min).max(max));

const NO_CONTROL = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u;
const COMMENT = 'must be at most 1000 characters without control characters';

/** The query of every configuration write (writes.ts `WRITE_QUERY`). */
export const writeQuery = z.strictObject({
  version: positiveInt.optional().describe('the version the write is based on (or If-Match: "N")'),
  wait: z
    .enum(['applied'], { error: 'must be "applied"' })
    .optional()
    .describe('answer once the version is applied (the answer then holds `applied`)'),
  comment: z.string().max(1000, COMMENT).regex(NO_CONTROL, COMMENT).optional().describe('the history comment'),
  addressLoss: z
    .enum(['accept'], { error: 'must be "accept"' })
    .optional()
    .describe('apply a network change that removes the address this request came in on'),
});

// The writes' query names, spelled once in writes.ts: this schema must hold exactly those.
type WriteQueryNames = keyof z.infer<typeof writeQuery>;
const _sameNames: [WriteQueryNames] extends [(typeof WRITE_QUERY)[number]]
  ? [(typeof WRITE_QUERY)[number]] extends [WriteQueryNames]
    ? true
    : never
  : never = true;

/** `wait` and `comment` of the writes that take no version (restore). */
export const waitQuery = writeQuery.pick({ wait: true, comment: true });

/** The key of an item in its collection (a label, a user name, a floating IP with its `/` encoded). */
export const itemKey = z.string().min(1).max(256);

export const versionsQuery = z.strictObject({
  limit: positiveInt.optional().describe('at most this many (capped at 1000) [50]'),
  before: positiveInt.optional().describe('versions older than this one'),
});

export const diffQuery = z.strictObject({
  from: positiveInt.optional().describe('[the version before `to`]'),
  to: positiveInt.optional().describe('[the current version]'),
});

export const trafficQuery = z.strictObject({
  service: z.string().max(256).optional().describe('one virtual service by label [all]'),
  minutes: integerFrom(1, 1440, 'must be 1 to 1440').optional().describe('how far back [60]'),
});

const channel = `(?:${LOG_CHANNELS.join('|')})`;
const CHANNELS = `must be among ${LOG_CHANNELS.join(', ')}`;

export const logQuerySchema = z.strictObject({
  channel: z
    .string()
    .regex(new RegExp(`^(?:${channel}(?:,${channel})*)?$`), CHANNELS)
    .optional()
    .describe(`channels, comma-separated (${LOG_CHANNELS.join(', ')}) [all]`),
  level: z
    .enum(LOG_LEVELS as [string, ...string[]], { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .optional()
    .describe('the least severe level'),
  q: z.string().max(256, 'must be at most 256 characters').optional().describe('text in the message'),
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a sequence number')
    .transform(Number)
    .pipe(z.int().min(0))
    .optional()
    .describe('records after this sequence number (or Last-Event-ID)'),
  since: z
    .string()
    .max(40, 'must be an ISO 8601 time')
    .refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO 8601 time')
    .optional()
    .describe('records from this time on (ISO 8601)'),
  limit: integerFrom(1, 10_000, 'must be 1 to 10000').optional().describe('at most this many'),
});
