import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplianceError } from '../errors.js';
import type { ApplianceConfig } from '../model/schema.js';
import type { ConfigStore } from '../store/contract.js';
import { writeFileAtomically } from '../store/durable.js';
import { DEFAULT_COST, hashPassword, type ScryptCost, verifyNothing, verifyPassword } from './password.js';
import { addressKey, HashSlots, LoginRateLimiter } from './rate-limit.js';
import { type Session, SessionStore } from './sessions.js';
import { type Role, type TokenInfo, TokenStore } from './tokens.js';

export {
  hashPassword,
  MAX_COST,
  passwordProblem,
  type ScryptCost,
  scryptComputations,
  verifyPassword,
} from './password.js';
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
  /** Failed logins allowed per client address and user name within `loginWindowMs` [5]. */
  loginLimit?: number;
  /** Failed logins allowed per client address (an IPv6 /64), whatever the names [20]. */
  addressLoginLimit?: number;
  loginWindowMs?: number;
  /** Password hashes computed at once, in total [4] and per client address [2]. */
  maxConcurrentHashes?: number;
  maxConcurrentHashesPerAddress?: number;
}

export const CLI_USER = 'cli';
export const SESSION_COOKIE = 'sluice_session';
const STATE_FILE = 'auth-state.json';

/**
 * A short digest of a user's password hash: sessions and API tokens carry the one of the
 * hash they were made under and die when it changes, whichever way it changed (the
 * password route, an administrator's reset, the HA peer, a restore).
 */
export function credentialOf(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('hex').slice(0, 32);
}

/**
 * Users are part of the versioned configuration (`administration.users`, scrypt
 * hashes): a password change is a new configuration version, replicated to the HA peer
 * like any other, so the same credentials work after a failover. A rollback keeps the
 * current users (store/credentials.ts): an old password never comes back. What is not
 * configuration stays per node: sessions (memory), API tokens (hashed,
 * `api-tokens.json`), the CLI token (`cli.token`, new at every start), the users that
 * must still change their first-boot password and the first-boot password's digest,
 * refused for ever once changed (`auth-state.json`).
 *
 * Logins are limited like fail2ban, per (address, user) and per address, never per user
 * alone: strangers' guesses must not lock the user out. Each attempt is counted before
 * its hash is computed, and the hashes computed at once are capped (HashSlots).
 */
export class Auth {
  readonly sessions: SessionStore;
  /** Failures per (address, user name): the guesser backs off, not the account. */
  readonly limiter: LoginRateLimiter;
  /** Failures per address (an IPv6 /64), whatever the names: against spraying names. */
  readonly addressLimiter: LoginRateLimiter;
  readonly hashSlots: HashSlots;
  readonly cost: ScryptCost;
  /** The first-boot password of `admin`, when this start created it (to print once). */
  initialPassword: string | undefined;
  /** The bearer token the local CLI reads from `<dataDir>/cli.token`. */
  cliToken = '';
  private mustChange = new Set<string>();
  /**
   * Credentials (credentialOf) given to be changed: the first-boot password, a password
   * set with mustChangePassword. They log in only while their user must change them, so
   * once changed, no rollback, restore or replica can bring them back.
   */
  private retired = new Set<string>();

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
    const window = options.loginWindowMs ?? 5 * 60_000;
    this.limiter = new LoginRateLimiter(ms, options.loginLimit ?? 5, window);
    this.addressLimiter = new LoginRateLimiter(ms, options.addressLoginLimit ?? 20, window);
    this.hashSlots = new HashSlots(options.maxConcurrentHashes ?? 4, options.maxConcurrentHashesPerAddress ?? 2);
  }

  static async open(dataDir: string, options: OpenAuthOptions): Promise<Auth> {
    const now = options.now ?? (() => new Date());
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const tokens = await TokenStore.open(join(dataDir, 'api-tokens.json'));
    const auth = new Auth(dataDir, options.store, tokens, now, options);
    await auth.loadState();
    await auth.firstBoot();
    await auth.retirePending();
    await auth.pruneTokens(true);
    // Every stored version (a commit, a rollback, the peer's) may remove a user or change
    // a password, however it was made: the tokens that lost their user or password go at
    // once, so that a user added again later (with the same hash) gets none of them back.
    // (Sessions and tokens are also checked on every use.)
    options.store.onAudit((entry) => {
      if (entry.outcome === 'committed') void auth.pruneTokens(false).catch(() => undefined);
    });
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
   * (address, name) pair or the address is blocked or too many hashes are being computed,
   * AUTH_FAILED for a wrong name or password (the same answer and about the same time for
   * both).
   */
  async login(username: string, password: string, address: string): Promise<{ session: Session; role: Role }> {
    const user = this.user(username);
    const ok = await this.attempt(`${addressKey(address)}\n${username}`, address, () =>
      user !== undefined && this.mayLogIn(user.username, user.passwordHash)
        ? verifyPassword(password, user.passwordHash)
        : verifyNothing(password, this.cost),
    );
    if (!ok || user === undefined) throw new ApplianceError('AUTH_FAILED', 'wrong user name or password');
    return { session: this.sessions.create(username, credentialOf(user.passwordHash)), role: user.role };
  }

  /** Check a logged-in user's current password (before a change), limited like a login. */
  async checkPassword(username: string, password: string, address: string): Promise<boolean> {
    const user = this.user(username);
    return this.attempt(`current password\n${username}`, address, () =>
      user === undefined ? verifyNothing(password, this.cost) : verifyPassword(password, user.passwordHash),
    );
  }

  /**
   * Run one password check under the limits: refused at once while `pair` or the address
   * is blocked or no hash slot is free; counted as a failure before the hash is computed
   * (so that a burst cannot outrun its own count), the count taken back when it matched.
   */
  private async attempt(pair: string, address: string, check: () => Promise<boolean>): Promise<boolean> {
    const client = addressKey(address);
    const wait = Math.max(this.limiter.retryAfter(pair), this.addressLimiter.retryAfter(client));
    if (wait > 0) throw rateLimited(`too many failed logins: try again in ${wait} seconds`, wait);
    if (!this.hashSlots.tryAcquire(client)) {
      throw rateLimited('too many logins in progress: try again in a second', 1);
    }
    const undo = [this.limiter.fail(pair), this.addressLimiter.fail(client)];
    let ok = false;
    try {
      ok = await check();
    } finally {
      this.hashSlots.release(client);
    }
    if (ok) {
      for (const takeBack of undo) takeBack();
      this.limiter.clear(pair);
    }
    return ok;
  }

  /** The principal of a request: a bearer token or a session cookie; undefined when neither is valid. */
  authenticate(authorization: string | undefined, cookie: string | undefined): Principal | undefined {
    if (authorization !== undefined) {
      const match = /^bearer ([!-~]{1,200})$/i.exec(authorization);
      const token = match ? this.tokens.verify(match[1] as string) : undefined;
      if (token === undefined) return undefined;
      // Only the CLI token itself (in memory, new at every start) acts as the CLI, never a
      // stored token whose user happens to be named like it.
      if (token.volatile === true && token.user === CLI_USER)
        return { user: CLI_USER, role: 'admin', via: 'token', token, mustChangePassword: false };
      const user = this.user(token.user);
      if (user === undefined || token.credential !== credentialOf(user.passwordHash)) return undefined;
      const role: Role = user.role === 'admin' ? token.role : 'readonly';
      return { user: token.user, role, via: 'token', token, mustChangePassword: false };
    }
    const id = sessionIdFrom(cookie);
    if (id === undefined) return undefined;
    const session = this.sessions.touch(id);
    if (session === undefined) return undefined;
    const user = this.user(session.user);
    if (user === undefined || session.credential !== credentialOf(user.passwordHash)) {
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

  /**
   * After a password change was stored: the user's other sessions and every token of the
   * user end (the session that made the change goes on under the new password); a changed
   * first-boot password is retired for ever and its file goes.
   */
  async passwordChanged(user: string, keepSession?: string): Promise<void> {
    this.sessions.deleteUser(user, keepSession);
    const current = this.user(user);
    if (keepSession !== undefined && current !== undefined)
      this.sessions.rebind(keepSession, credentialOf(current.passwordHash));
    await this.tokens.deleteUser(user);
    if (this.mustChange.delete(user)) {
      await this.saveState();
      await unlink(join(this.dataDir, 'initial-password')).catch(() => undefined);
    }
  }

  /** An API token for `principal`, bound to its user's current password; the CLI token mints none. */
  async createToken(principal: Principal, name: string, role: Role): Promise<{ info: TokenInfo; token: string }> {
    const user = principal.token?.volatile === true ? undefined : this.user(principal.user);
    if (user === undefined) {
      // A token of the CLI token would outlive it (it is new at every start) and belong to no user.
      throw new ApplianceError('AUTH_FORBIDDEN', 'only a user can create API tokens: log in as one');
    }
    return this.tokens.create(name, user.username, role, this.now(), credentialOf(user.passwordHash));
  }

  /**
   * Drop the stored tokens whose user is gone or whose password changed, and the ones of
   * the CLI user (a CLI token of an earlier start minted them). With `adoptLegacy` (at
   * start), a token stored before tokens carried their credential is bound to the user's
   * current one: it dies at the next password change.
   */
  private pruneTokens(adoptLegacy: boolean): Promise<void> {
    return this.tokens.rebind((token) => {
      const user = this.user(token.user);
      if (user === undefined) return undefined;
      const credential = credentialOf(user.passwordHash);
      // A legacy token of a user named like the CLI may have been minted by the CLI token.
      if (token.credential === undefined) return adoptLegacy && token.user !== CLI_USER ? credential : undefined;
      return token.credential === credential ? credential : undefined;
    });
  }

  /** Users that must change their password (a state file from before `retired`): their current one is retired. */
  private async retirePending(): Promise<void> {
    let changed = false;
    for (const name of this.mustChange) {
      const hash = this.user(name)?.passwordHash;
      if (hash === undefined || this.retired.has(credentialOf(hash))) continue;
      this.retired.add(credentialOf(hash));
      changed = true;
    }
    if (changed) await this.saveState();
  }

  /** Mark a user (after its password was stored) as having to change it, or not any more. */
  async setMustChange(user: string, value: boolean): Promise<void> {
    if (this.mustChange.has(user) === value) return;
    const hash = this.user(user)?.passwordHash;
    if (value) {
      this.mustChange.add(user);
      if (hash !== undefined) this.retired.add(credentialOf(hash));
    } else {
      this.mustChange.delete(user);
      // An administrator lifted the obligation: the password may stay.
      if (hash !== undefined) this.retired.delete(credentialOf(hash));
    }
    await this.saveState();
  }

  private mayLogIn(user: string, passwordHash: string): boolean {
    return this.mustChange.has(user) || !this.retired.has(credentialOf(passwordHash));
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
    this.retired.add(credentialOf(passwordHash));
    await this.saveState();
    this.initialPassword = password;
  }

  private async loadState(): Promise<void> {
    const file = join(this.dataDir, STATE_FILE);
    try {
      const state = JSON.parse(await readFile(file, 'utf8')) as { mustChangePassword?: unknown; retired?: unknown };
      if (Array.isArray(state.mustChangePassword)) {
        this.mustChange = new Set(state.mustChangePassword.filter((name): name is string => typeof name === 'string'));
      }
      if (Array.isArray(state.retired)) {
        this.retired = new Set(state.retired.filter((digest): digest is string => typeof digest === 'string'));
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
      `${JSON.stringify({ format: 1, mustChangePassword: [...this.mustChange], retired: [...this.retired] })}\n`,
    );
  }
}

function rateLimited(message: string, retryAfter: number): ApplianceError {
  return new ApplianceError('AUTH_RATE_LIMITED', message, { retryAfter });
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
