import type { DiffEntry } from '../model/diff.js';
import { type ApplianceConfig, REDACTED_SECRET } from '../model/schema.js';

/**
 * What the API shows instead of a secret. It is neither a password hash nor a heartbeat
 * key (too short for one), so a version read back and sent as a configuration is refused
 * at the field instead of storing a broken credential.
 */
export const REDACTED = REDACTED_SECRET;

/**
 * Where the configuration holds secrets, as field names ("*": every element of a list).
 * Certificates' keys are not here: the configuration names their files only, and API
 * tokens live outside it (`<dataDir>/api-tokens.json`). test/api/secrets.test.ts keeps
 * this list equal to the schema's fields that hold a secret.
 */
export const SECRET_FIELDS: readonly (readonly string[])[] = [
  ['administration', 'users', '*', 'passwordHash'],
  ['heartbeat', 'key'],
  ['cluster', 'key'],
  ['cluster', 'bgp', 'peers', '*', 'password'],
];

const TOP = new Set(SECRET_FIELDS.map((fields) => fields[0]));

/** `value` with the secrets at `fields` below it replaced by REDACTED; unchanged parts are shared, not copied. */
function redactBelow(value: unknown, fields: readonly string[]): unknown {
  if (value === undefined) return value;
  if (fields.length === 0) return REDACTED;
  const [first, ...rest] = fields;
  if (first === '*') return Array.isArray(value) ? value.map((item) => redactBelow(item, rest)) : value;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, first as string)) {
    return value;
  }
  const object = value as Record<string, unknown>;
  return { ...object, [first as string]: redactBelow(object[first as string], rest) };
}

/**
 * A stored version as the history shows it, to every role: an administrator reviewing
 * history sees that a password or the heartbeat key changed, never its value (a hash can
 * be cracked offline, the key signs the HA peers' messages). `GET /config` is not this: it
 * is the document an administrator edits and sends back whole.
 */
export function redactSecrets(config: ApplianceConfig): ApplianceConfig {
  let out: unknown = config;
  for (const fields of SECRET_FIELDS) out = redactBelow(out, fields);
  return out as ApplianceConfig;
}

/** A diff path (`administration.users["admin"].passwordHash`) as field names, list elements as "*". */
function fieldsOf(path: string): string[] {
  const fields: string[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(?:\d+|"(?:[^"\\]|\\.)*")\]/g)) fields.push(match[1] ?? '*');
  return fields;
}

/**
 * The changes between two versions with every secret in them redacted: a changed password
 * or key is still listed as changed (the diff was made from the real values), with
 * REDACTED before and after; an added user or heartbeat shows its other fields.
 */
export function redactChanges(changes: readonly DiffEntry[]): DiffEntry[] {
  return changes.map((change) => {
    const head = /^[^.[]*/.exec(change.path)?.[0] ?? '';
    if (head !== '' && !TOP.has(head)) return change;
    const fields = fieldsOf(change.path);
    let { before, after } = change;
    for (const pattern of SECRET_FIELDS) {
      const common = Math.min(fields.length, pattern.length);
      if (fields.slice(0, common).some((field, i) => field !== pattern[i])) continue;
      // At (or inside) a secret, the whole value is secret; above one, the secret in it.
      const below = pattern.slice(common);
      before = redactBelow(before, below);
      after = redactBelow(after, below);
    }
    const out: DiffEntry = { path: change.path, op: change.op };
    if (before !== undefined) out.before = before;
    if (after !== undefined) out.after = after;
    return out;
  });
}
