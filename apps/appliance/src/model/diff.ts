/** One difference between two configurations, at a path such as `layer4["web"].realServers["alpha"].weight`. */
export interface DiffEntry {
  path: string;
  op: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The key that identifies an element across versions: its label (or user name), when every element has one. */
function keyOf(item: unknown): string | undefined {
  if (!isObject(item)) return undefined;
  const key = item.label ?? item.username;
  return typeof key === 'string' ? key : undefined;
}

function keyed(list: readonly Json[]): Map<string, Json> | undefined {
  const map = new Map<string, Json>();
  for (const item of list) {
    const key = keyOf(item);
    if (key === undefined || map.has(key)) return undefined;
    map.set(key, item);
  }
  return map;
}

/** Structural equality of JSON values; a walk rather than JSON.stringify, which costs more than the diff itself. */
function same(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => same(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && same(a[key], b[key]));
  }
  return false;
}

function walk(before: Json | undefined, after: Json | undefined, path: string, out: DiffEntry[]): void {
  if (before === after) return;
  if (before === undefined) {
    out.push({ path, op: 'added', after });
    return;
  }
  if (after === undefined) {
    out.push({ path, op: 'removed', before });
    return;
  }
  if (isObject(before) && isObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      walk(before[key], after[key], path === '' ? key : `${path}.${key}`, out);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    if (walkChanged(before, after, path, out)) return;
    // Labelled objects are matched by label, so that removing the first real server
    // reads as one removal and not as every later server changing.
    const a = keyed(before);
    const b = keyed(after);
    if (a !== undefined && b !== undefined && (a.size > 0 || b.size > 0)) {
      for (const key of new Set([...a.keys(), ...b.keys()]))
        walk(a.get(key), b.get(key), `${path}[${JSON.stringify(key)}]`, out);
      return;
    }
    if (before.every(isObject) && after.every(isObject)) {
      for (let i = 0; i < Math.max(before.length, after.length); i++) walk(before[i], after[i], `${path}[${i}]`, out);
      return;
    }
  }
  if (!same(before, after)) out.push({ path, op: 'changed', before, after });
}

/** Frozen lists whose items all have a label and no label twice (what `keyed` would accept). */
const keyedLists = new WeakSet<readonly Json[]>();

function isKeyed(list: readonly Json[]): boolean {
  if (keyedLists.has(list)) return true;
  const ok = keyed(list) !== undefined;
  if (ok && Object.isFrozen(list) && list.every((item) => Object.isFrozen(item))) keyedLists.add(list);
  return ok;
}

/**
 * The common case of a stored configuration's list (versions share every unchanged item):
 * same length, and every item that is not the very same object keeps its label and place.
 * Then only those items are walked, which gives what the walk by label gives, without
 * building two maps of the whole list. False (nothing written) when that does not hold.
 */
function walkChanged(before: readonly Json[], after: readonly Json[], path: string, out: DiffEntry[]): boolean {
  if (before.length !== after.length || before.length === 0) return false;
  const changed: number[] = [];
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    const key = keyOf(before[i]);
    if (key === undefined || keyOf(after[i]) !== key) return false;
    changed.push(i);
  }
  if (!isKeyed(before)) return false;
  // The same labels as `before`, so `after` is keyed too.
  if (Object.isFrozen(after) && after.every((item) => Object.isFrozen(item))) keyedLists.add(after);
  for (const i of changed) walk(before[i], after[i], `${path}[${JSON.stringify(keyOf(before[i]))}]`, out);
  return true;
}

/** The differences from `before` to `after`, by path, in a stable order. */
export function diffConfigs(before: unknown, after: unknown): DiffEntry[] {
  const out: DiffEntry[] = [];
  walk(before as Json, after as Json, '', out);
  return out;
}
