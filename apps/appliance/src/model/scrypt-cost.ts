/**
 * The bounds of a stored scrypt hash, without node:crypto: the configuration schema (also
 * bundled into the web UI) checks them when a hash is stored, the login before it computes.
 */
export const SCRYPT_FORMAT =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{43,88})$/;

export interface ScryptCost {
  /** log2 of N. 15 (32 MiB, ~60 ms here) by default; tests use less. */
  ln: number;
  r: number;
  p: number;
}

/**
 * The most a stored hash may ask for: one step above what this code writes (passlib's
 * default, 64 MiB). A hash is an administrator's input, but a login with it is anyone's:
 * a higher cost would let one unauthenticated request take seconds and gigabytes.
 */
export const MAX_COST: ScryptCost = { ln: 16, r: 8, p: 1 };

export function withinMaxCost(cost: ScryptCost): boolean {
  return (
    cost.ln >= 1 && cost.ln <= MAX_COST.ln && cost.r >= 1 && cost.r <= MAX_COST.r && cost.p >= 1 && cost.p <= MAX_COST.p
  );
}

/**
 * Why a `$scrypt$` hash may not be stored: it does not name its cost, or the cost is out
 * of bounds; undefined for other formats. (Whether the rest would verify is the login's
 * concern: a hash that cannot is refused there, as it always was.)
 */
export function scryptCostProblem(hash: string): string | undefined {
  if (!hash.startsWith('$scrypt$')) return undefined;
  const match = /^\$scrypt\$ln=(\d{1,3}),r=(\d{1,3}),p=(\d{1,3})\$/.exec(hash);
  if (!match) return 'must be $scrypt$ln=N,r=R,p=P$<salt>$<hash>';
  const cost = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (!withinMaxCost(cost)) return `must cost at most ln=${MAX_COST.ln}, r=${MAX_COST.r}, p=${MAX_COST.p}`;
  return undefined;
}
