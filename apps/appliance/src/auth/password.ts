import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { SCRYPT_FORMAT, type ScryptCost, withinMaxCost } from '../model/scrypt-cost.js';

export { passwordProblem } from '../model/password-rule.js';
export { MAX_COST, type ScryptCost, scryptCostProblem } from '../model/scrypt-cost.js';

/**
 * Passwords are stored as scrypt hashes in modular crypt format,
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64 without padding), which the configuration
 * schema's `passwordHash` accepts. node:crypto has scrypt but no bcrypt, sha-crypt or
 * argon2, so users whose hash uses one of those cannot log in through the API.
 */
const KEY_LENGTH = 32;

export const DEFAULT_COST: ScryptCost = { ln: 15, r: 8, p: 1 };

let computed = 0;
/** How many scrypt keys this process derived: tests count the work a burst of logins caused. */
export function scryptComputations(): number {
  return computed;
}

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  computed++;
  const N = 2 ** cost.ln;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r + 1024 * 1024 }, (e, key) =>
      e ? reject(e) : resolve(key),
    );
  });
}

const b64 = (data: Buffer) => data.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${b64(salt)}$${b64(key)}`;
}

/** Whether `password` matches `hash`; false for a hash this code cannot check (never throws). */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const match = SCRYPT_FORMAT.exec(hash);
  if (!match) return false;
  const cost = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  // A hash stored before the schema bounded the cost (or by hand) is refused, not computed.
  if (!withinMaxCost(cost)) return false;
  const expected = Buffer.from(match[5] as string, 'base64');
  try {
    const key = await derive(password, Buffer.from(match[4] as string, 'base64'), cost);
    return key.length === expected.length && timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

/** Spend the time of a verification when the user does not exist, so that timing does not tell names apart. */
let dummyHash: Promise<string> | undefined;
export async function verifyNothing(password: string, cost: ScryptCost): Promise<false> {
  dummyHash ??= hashPassword('not a password', cost);
  await verifyPassword(password, await dummyHash);
  return false;
}
