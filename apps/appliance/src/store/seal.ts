import { createHash } from 'node:crypto';
import { configJsonSchemaText } from '../model/json-schema.js';
import { applianceVersion } from '../version.js';

/*
 * Opening the store checks the current configuration against the schema, so that the
 * engine never applies one this code does not understand. With 10,000 real servers that
 * check is the largest part of opening (hundreds of milliseconds where system calls and
 * page faults are slow). The VersionLog's seal (seal-file.ts) lets open skip it when
 * nothing can have changed since this code validated that configuration; what it needs
 * from the configuration side is the fingerprint of this code's rules, made here: the
 * schema, the appliance's version and a revision for refinements the schema cannot show.
 */

// The seal's file and chain digest, for the tests that forge a seal or recompute one.
export { chainDigest, SEAL_FILE, type Seal } from './seal-file.js';

/** Raise when a rule that the JSON Schema cannot show (a refinement) becomes stricter between releases. */
const RULES_REVISION = 2;

let fingerprint: string | undefined;
/** What identifies the configuration rules of this code. */
export function schemaFingerprint(): string {
  fingerprint ??= createHash('sha256')
    .update(`${applianceVersion()}\n${RULES_REVISION}\n${configJsonSchemaText()}`)
    .digest('hex');
  return fingerprint;
}
