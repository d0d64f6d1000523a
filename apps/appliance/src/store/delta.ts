/**
 * How one version's document differs from the one before, by top-level key: a splice of a
 * list (`{ key, at, remove, insert }`), a replaced value (`{ key, value }`) or a removed one
 * (`{ key, unset: true }`). Computed by reference (the versions share every unchanged
 * object), so it costs what changed, not the size of the document.
 */
export type PatchOp =
  | { key: string; at: number; remove: number; insert: unknown[] }
  | { key: string; value: unknown }
  | { key: string; unset: true };

export function makePatch(before: object, after: object): PatchOp[] {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const ops: PatchOp[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (y === undefined) {
      ops.push({ key, unset: true });
    } else if (Array.isArray(x) && Array.isArray(y)) {
      let start = 0;
      while (start < x.length && start < y.length && x[start] === y[start]) start++;
      let end = 0;
      while (end < x.length - start && end < y.length - start && x[x.length - 1 - end] === y[y.length - 1 - end]) end++;
      ops.push({ key, at: start, remove: x.length - start - end, insert: y.slice(start, y.length - end) });
    } else {
      ops.push({ key, value: y });
    }
  }
  return ops;
}

/** Whether `value` is a well-formed patch (a file could hold anything). */
export function isPatch(value: unknown): value is PatchOp[] {
  return (
    Array.isArray(value) &&
    value.every((op) => {
      if (typeof op !== 'object' || op === null || typeof op.key !== 'string') return false;
      if ('unset' in op) return op.unset === true;
      if ('value' in op) return true;
      return (
        Number.isSafeInteger(op.at) &&
        op.at >= 0 &&
        Number.isSafeInteger(op.remove) &&
        op.remove >= 0 &&
        Array.isArray(op.insert)
      );
    })
  );
}

/** The document after `ops`; `before` is not changed (unchanged parts are shared). */
export function applyPatch<D extends object>(before: D, ops: readonly PatchOp[]): D | undefined {
  const out: Record<string, unknown> = { ...(before as Record<string, unknown>) };
  for (const op of ops) {
    if ('unset' in op) delete out[op.key];
    else if ('value' in op) out[op.key] = op.value;
    else {
      const list = out[op.key];
      if (!Array.isArray(list) || op.at + op.remove > list.length) return undefined;
      out[op.key] = [...list.slice(0, op.at), ...op.insert, ...list.slice(op.at + op.remove)];
    }
  }
  return out as D;
}
