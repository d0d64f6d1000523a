import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ApplianceError } from '../errors.js';
import { serial } from '../serial.js';
import { writeFileAtomically } from '../store/durable.js';

export type Role = 'admin' | 'readonly';

export interface TokenInfo {
  id: string;
  name: string;
  /** The user the token acts for; its role is at most that user's. */
  user: string;
  role: Role;
  created: string;
  /**
   * The user's credential (credentialOf its password hash) when the token was made: the
   * token dies when it changes. Absent only in files written before it was kept.
   */
  credential?: string;
  /** The CLI token: in memory only, new at every start. */
  volatile?: true;
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
  private readonly queue = serial();

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
        // Only the CLI token is volatile, and it is never in the file.
        store.tokens = Array.isArray(parsed.tokens) ? parsed.tokens.map(({ volatile: _v, ...token }) => token) : [];
      } catch (cause) {
        throw new ApplianceError('STORE_CORRUPT', `${file} is not JSON`, { cause, field: file });
      }
    }
    return store;
  }

  list(): TokenInfo[] {
    return this.tokens.map(({ hash: _hash, credential: _credential, ...info }) => info);
  }

  async create(
    name: string,
    user: string,
    role: Role,
    now: Date,
    credential: string,
  ): Promise<{ info: TokenInfo; token: string }> {
    const { id, secret, token } = newToken();
    const entry: StoredToken = {
      id,
      name,
      user,
      role,
      created: now.toISOString(),
      credential,
      hash: sha256(secret).toString('hex'),
    };
    await this.save((tokens) => [...tokens, entry]);
    const { hash: _hash, credential: _credential, ...info } = entry;
    return { info, token };
  }

  addVolatile(name: string, user: string, role: Role, now: Date): string {
    const { id, secret, token } = newToken();
    this.volatile.set(id, {
      id,
      name,
      user,
      role,
      created: now.toISOString(),
      volatile: true,
      hash: sha256(secret).toString('hex'),
    });
    return token;
  }

  /**
   * Give every stored token the credential `bind` returns for it (its own, or one to
   * adopt), or drop it when that is undefined; written only when something changed.
   */
  async rebind(bind: (token: TokenInfo) => string | undefined): Promise<void> {
    await this.save((tokens) => {
      const next: StoredToken[] = [];
      let changed = false;
      for (const token of tokens) {
        const credential = bind(token);
        if (credential !== token.credential) changed = true;
        if (credential !== undefined) next.push({ ...token, credential });
      }
      return changed ? next : undefined;
    });
  }

  async delete(id: string): Promise<boolean> {
    if (!this.tokens.some((token) => token.id === id)) return false;
    await this.save((tokens) => tokens.filter((token) => token.id !== id));
    return true;
  }

  async deleteUser(user: string): Promise<void> {
    await this.save((tokens) =>
      tokens.some((t) => t.user === user) ? tokens.filter((t) => t.user !== user) : undefined,
    );
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

  /** When every change asked for so far is written (tests; a shutdown). */
  async settled(): Promise<void> {
    await this.queue.idle();
  }

  /**
   * Write the list `update` makes of the current one (undefined: nothing to change). The
   * update runs in turn, on the list the write before it left, so that concurrent changes
   * (a token made while a password change prunes) do not undo each other.
   */
  private save(update: (tokens: StoredToken[]) => StoredToken[] | undefined): Promise<void> {
    return this.queue(async () => {
      const tokens = update(this.tokens);
      if (tokens === undefined) return;
      await writeFileAtomically(this.file, `${JSON.stringify({ format: 1, tokens }, null, 2)}\n`);
      this.tokens = tokens;
    });
  }
}
