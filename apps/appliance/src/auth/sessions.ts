import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  user: string;
  /** The user's credential (credentialOf its password hash) at login: the session dies when it changes. */
  credential: string;
  csrfToken: string;
  created: number;
  lastSeen: number;
}

/**
 * Sessions live in memory: a restart of the daemon logs everyone out, which is the
 * price of never writing a session id to disk. Ids are 256 random bits.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly now: () => number,
    readonly idleTimeoutMs: number,
    private readonly absoluteTimeoutMs: number,
    private readonly maxSessions = 10_000,
  ) {}

  create(user: string, credential: string): Session {
    const time = this.now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      credential,
      csrfToken: randomBytes(32).toString('base64url'),
      created: time,
      lastSeen: time,
    };
    this.sessions.set(session.id, session);
    if (this.sessions.size > this.maxSessions) {
      // Map order is insertion order: the oldest session goes.
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    return session;
  }

  /** The live session with this id (its idle timer restarted), or undefined. */
  touch(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    const time = this.now();
    if (time - session.lastSeen > this.idleTimeoutMs || time - session.created > this.absoluteTimeoutMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = time;
    return session;
  }

  /** The session that changed its own password goes on under the new one. */
  rebind(id: string, credential: string): void {
    const session = this.sessions.get(id);
    if (session !== undefined) session.credential = credential;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** End every session of a user (password changed by an administrator, user removed). */
  deleteUser(user: string, except?: string): void {
    for (const [id, session] of this.sessions) {
      if (session.user === user && id !== except) this.sessions.delete(id);
    }
  }
}
