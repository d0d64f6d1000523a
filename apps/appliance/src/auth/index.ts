import { randomBytes } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplianceConfig } from '../config/schema.js';
import { ApplianceError } from '../errors.js';
import { writeFileAtomically } from '../store/durable.js';
import type { ConfigStore } from '../store/store.js';
import { DEFAULT_COST, hashPassword, type ScryptCost, verifyNothing, verifyPassword } from './password.js';
import { LoginRateLimiter } from './rate-limit.js';
import { type Session, SessionStore } from './sessions.js';
import { type Role, type TokenInfo, TokenStore } from './tokens.js';

export { hashPassword, passwordProblem, type ScryptCost, verifyPassword } from './password.js';
export type { Session } from './sessions.js';
export type { Role, TokenInfo } from './tokens.js';

/** Who a request acts for. */
export interface Principal {
  user: string;
  role: Role;
  via: 'session' | 'token';
  session?: Session;
  token?: TokenInfo;
  mustChangePassword: boolean;
}

export interface OpenAuthOptions {
  store: ConfigStore;
  now?: () => Date;
  /** scrypt cost of new password hashes. */
  cost?: ScryptCost;
  /** Idle timeout of a session [30 minutes]. */
  idleTimeoutMs?: number;
  /** Longest life of a session [12 hours]. */
  absoluteTimeoutMs?: number;
  /** Failed logins allowed per address and per user name within `loginWindowMs` [5]. */
  loginLimit?: number;
  loginWindowMs?: number;
}

export const CLI_USER = 'cli';
export const SESSION_COOKIE = 'sluice_session';
const STATE_FILE = 'auth-state.json';

/**
 * Users are part of the versioned configuration (`administration.users`, scrypt
 * hashes): a password change is a new configuration version, replicated to the HA peer
 * like any other, so the same credentials work after a failover and a rollback restores
 * them too. What is not configuration stays per node: sessions (memory), API tokens
 * (hashed, `api-tokens.json`), the CLI token (`cli.token`, new at every start) and the
 * users that must still change their first-boot password (`auth-state.json`).
 */
export class Auth {
  readonly sessions: SessionStore;
  readonly limiter: LoginRateLimiter;
  readonly cost: ScryptCost;
  /** The first-boot password of `admin`, when this start created it (to print once). */
  initialPassword: string | undefined;
  /** The bearer token the local CLI reads from `<dataDir>/cli.token`. */
  cliToken = '';
  private mustChange = new Set<string>();

  private constructor(
    readonly dataDir: string,
    readonly store: ConfigStore,
    readonly tokens: TokenStore,
    readonly now: () => Date,
    options: OpenAuthOptions,
  ) {
    const ms = () => now().getTime();
    this.cost = options.cost ?? DEFAULT_COST;
    this.sessions = new SessionStore(
      ms,
      options.idleTimeoutMs ?? 30 * 60_000,
      options.absoluteTimeoutMs ?? 12 * 3600_000,
    );
    this.limiter = new LoginRateLimiter(ms, options.loginLimit ?? 5, options.loginWindowMs ?? 5 * 60_000);
  }

  static async open(dataDir: string, options: OpenAuthOptions): Promise<Auth> {
    const now = options.now ?? (() => new Date());
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const tokens = await TokenStore.open(join(dataDir, 'api-tokens.json'));
    const auth = new Auth(dataDir, options.store, tokens, now, options);
    await auth.loadState();
    await auth.firstBoot();
    auth.cliToken = tokens.addVolatile('local CLI', CLI_USER, 'admin', now());
    await writeFileAtomically(join(dataDir, 'cli.token'), `${auth.cliToken}\n`);
    return auth;
  }

  user(name: string): ApplianceConfig['administration']['users'][number] | undefined {
    return this.store.current().config.administration.users.find((user) => user.username === name);
  }

  mustChangePassword(user: string): boolean {
    return this.mustChange.has(user);
  }

  /**
   * Check a login. Throws AUTH_RATE_LIMITED (with `retryAfter` seconds) while the
   * address or the name is blocked, AUTH_FAILED for a wrong name or password (the same
   * answer and about the same time for both).
   */
  async login(username: string, password: string, address: string): Promise<{ session: Session; role: Role }> {
    const keys = [`address:${address}`, `user:${username}`];
    const wait = Math.max(...keys.map((key) => this.limiter.retryAfter(key)));
    if (wait > 0) {
      throw Object.assign(
        new ApplianceError('AUTH_RATE_LIMITED', `too many failed logins: try again in ${wait} seconds`),
        { retryAfter: wait },
      );
    }
    const user = this.user(username);
    const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyNothing(password, this.cost);
    if (!ok || user === undefined) {
      for (const key of keys) this.limiter.fail(key);
      throw new ApplianceError('AUTH_FAILED', 'wrong user name or password');
    }
    this.limiter.clear(`user:${username}`);
    return { session: this.sessions.create(username), role: user.role };
  }

  /** The principal of a request: a bearer token or a session cookie; undefined when neither is valid. */
  authenticate(authorization: string | undefined, cookie: string | undefined): Principal | undefined {
    if (authorization !== undefined) {
      const match = /^bearer ([!-~]{1,200})$/i.exec(authorization);
      const token = match ? this.tokens.verify(match[1] as string) : undefined;
      if (token === undefined) return undefined;
      if (token.user === CLI_USER)
        return { user: CLI_USER, role: 'admin', via: 'token', token, mustChangePassword: false };
      const user = this.user(token.user);
      if (user === undefined) return undefined;
      const role: Role = user.role === 'admin' ? token.role : 'readonly';
      return { user: token.user, role, via: 'token', token, mustChangePassword: false };
    }
    const id = sessionIdFrom(cookie);
    if (id === undefined) return undefined;
    const session = this.sessions.touch(id);
    if (session === undefined) return undefined;
    const user = this.user(session.user);
    if (user === undefined) {
      this.sessions.delete(id);
      return undefined;
    }
    return {
      user: user.username,
      role: user.role,
      via: 'session',
      session,
      mustChangePassword: this.mustChange.has(user.username),
    };
  }

  /** After a password change was stored: the first-boot file goes, other sessions of the user end. */
  async passwordChanged(user: string, keepSession?: string): Promise<void> {
    this.sessions.deleteUser(user, keepSession);
    if (this.mustChange.delete(user)) {
      await this.saveState();
      await unlink(join(this.dataDir, 'initial-password')).catch(() => undefined);
    }
  }

  async setMustChange(user: string, value: boolean): Promise<void> {
    if (this.mustChange.has(user) === value) return;
    if (value) this.mustChange.add(user);
    else this.mustChange.delete(user);
    await this.saveState();
  }

  /** A user was removed from the configuration: its sessions and tokens go. */
  async userRemoved(user: string): Promise<void> {
    this.sessions.deleteUser(user);
    await this.tokens.deleteUser(user);
    await this.setMustChange(user, false);
  }

  private async firstBoot(): Promise<void> {
    const current = this.store.current();
    if (current.config.administration.users.length > 0) return;
    const password = randomBytes(18).toString('base64url');
    const passwordHash = await hashPassword(password, this.cost);
    const config = {
      ...current.config,
      administration: {
        ...current.config.administration,
        users: [{ username: 'admin', passwordHash, role: 'admin' as const }],
      },
    };
    await this.store.commit({
      config,
      baseVersion: current.version,
      author: 'system',
      comment: 'first boot: user admin',
    });
    await writeFileAtomically(join(this.dataDir, 'initial-password'), `${password}\n`);
    this.mustChange.add('admin');
    await this.saveState();
    this.initialPassword = password;
  }

  private async loadState(): Promise<void> {
    const file = join(this.dataDir, STATE_FILE);
    try {
      const state = JSON.parse(await readFile(file, 'utf8')) as { mustChangePassword?: unknown };
      if (Array.isArray(state.mustChangePassword)) {
        this.mustChange = new Set(state.mustChangePassword.filter((name): name is string => typeof name === 'string'));
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      if (error instanceof SyntaxError)
        throw new ApplianceError('STORE_CORRUPT', `${file} is not JSON`, { cause: error, field: file });
      throw new ApplianceError('STORE_IO', `cannot read ${file}`, { cause: error });
    }
  }

  private saveState(): Promise<void> {
    return writeFileAtomically(
      join(this.dataDir, STATE_FILE),
      `${JSON.stringify({ format: 1, mustChangePassword: [...this.mustChange] })}\n`,
    );
  }
}

/** The session id from a Cookie header; a malformed header yields nothing rather than an error. */
export function sessionIdFrom(cookie: string | undefined): string | undefined {
  if (cookie === undefined || cookie.length > 8192) return undefined;
  for (const part of cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) {
      const value = rest.join('=');
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export function openAuth(dataDir: string, options: OpenAuthOptions): Promise<Auth> {
  return Auth.open(dataDir, options);
}
