/**
 * HAProxy's consistent hashing places each server on its ring by the server's numeric id,
 * which HAProxy otherwise numbers in declaration order. Ids taken from the real servers'
 * labels give every node of an ECMP cluster the same ring, and keep a server where it was
 * when another is inserted or removed anywhere in the list (only that server's share moves).
 */

/**
 * Ids stay below 2^20: HAProxy multiplies the id by 4096 (2^12) in 32-bit arithmetic to key
 * the ring, so two ids 2^20 apart would get the same ring positions.
 */
export const MAX_HASHED_SERVER_ID = 1_000_000;

/** FNV-1a, 32 bits: a fixed hash, the same on every node and Node version. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * One id per label, from 1 to MAX_HASHED_SERVER_ID. Labels are taken in sorted order, not list
 * order, so a collision (the next free id goes to the later label) resolves the same way
 * whatever order the servers are listed in.
 */
export function serverIdsByLabel(labels: readonly string[]): Map<string, number> {
  const ids = new Map<string, number>();
  const taken = new Set<number>();
  for (const label of [...new Set(labels)].sort()) {
    let id = (fnv1a(label) % MAX_HASHED_SERVER_ID) + 1;
    while (taken.has(id)) id = (id % MAX_HASHED_SERVER_ID) + 1;
    taken.add(id);
    ids.set(label, id);
  }
  return ids;
}
