import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ApplianceError } from '../errors.js';
import { writeFileAtomically } from '../store/durable.js';

export type Role = 'admin' | 'readonly';

export interface TokenInfo {
  id: string;
  name: string;
  /** The user the token acts for; its role is at most that user's. */
  user: string;
  role: Role;
  created: string;
}

interface StoredToken extends TokenInfo {
  /** SHA-256 of the secret part, hex: the secret itself is never stored. */
  hash: string;
}

const TOKEN = /^sluice_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** `sluice_<id>.<secret>`: the id finds the entry, the secret is compared by hash in constant time. */
export function newToken(): { id: string; secret: string; token: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `sluice_${id}.${secret}` };
}

/**
 * API tokens, stored hashed in `<dataDir>/api-tokens.json` (0600). Tokens are node-local
 * credentials: they are neither versioned with the configuration nor in backups.
 */
export class TokenStore {
  private tokens: StoredToken[] = [];
  /** Tokens kept in memory only (the CLI's, rewritten at every start). */
  private readonly volatile = new Map<string, StoredToken>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<TokenStore> {
    const store = new TokenStore(file);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ApplianceError('STORE_IO', `cannot read ${file}`, { cause: error });
      }
    }
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as { tokens?: StoredToken[] };
        store.tokens = Array.isArray(parsed.tokens) ? parsed.tokens : [];
      } catch (cause) {
        throw new ApplianceError('STORE_CORRUPT', `${file} is not JSON`, { cause, field: file });
      }
    }
    return store;
  }

  list(): TokenInfo[] {
    return this.tokens.map(({ hash: _hash, ...info }) => info);
  }

  async create(name: string, user: string, role: Role, now: Date): Promise<{ info: TokenInfo; token: string }> {
    const { id, secret, token } = newToken();
    const entry: StoredToken = {
      id,
      name,
      user,
      role,
      created: now.toISOString(),
      hash: sha256(secret).toString('hex'),
    };
    await this.save([...this.tokens, entry]);
    const { hash: _hash, ...info } = entry;
    return { info, token };
  }

  addVolatile(name: string, user: string, role: Role, now: Date): string {
    const { id, secret, token } = newToken();
    this.volatile.set(id, { id, name, user, role, created: now.toISOString(), hash: sha256(secret).toString('hex') });
    return token;
  }

  async delete(id: string): Promise<boolean> {
    if (!this.tokens.some((token) => token.id === id)) return false;
    await this.save(this.tokens.filter((token) => token.id !== id));
    return true;
  }

  async deleteUser(user: string): Promise<void> {
    if (this.tokens.some((token) => token.user === user)) await this.save(this.tokens.filter((t) => t.user !== user));
  }

  verify(token: string): TokenInfo | undefined {
    const match = TOKEN.exec(token);
    if (!match) return undefined;
    const id = match[1] as string;
    const entry = this.volatile.get(id) ?? this.tokens.find((candidate) => candidate.id === id);
    if (entry === undefined) return undefined;
    const expected = Buffer.from(entry.hash, 'hex');
    const actual = sha256(match[2] as string);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    const { hash: _hash, ...info } = entry;
    return info;
  }

  private save(tokens: StoredToken[]): Promise<void> {
    const run = this.queue.then(async () => {
      await writeFileAtomically(this.file, `${JSON.stringify({ format: 1, tokens }, null, 2)}\n`);
      this.tokens = tokens;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
