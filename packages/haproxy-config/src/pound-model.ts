import type { TlsPolicy } from './model.js';

/** Pound's session (persistence) types: what identifies a client. */
export type PoundSessionType = 'IP' | 'COOKIE' | 'URL' | 'PARM' | 'BASIC' | 'HEADER';

export interface PoundSession {
  type: PoundSessionType;
  /** The cookie (COOKIE), query parameter (URL) or header (HEADER) name; not used by IP, PARM, BASIC. */
  id?: string;
  /** Seconds a session lives without traffic (default 300). */
  ttlSeconds?: number;
}

export interface PoundBackend {
  address: string;
  port: number;
  /** 1 to 9, relative share of requests (default 5). */
  priority?: number;
  /** Seconds to wait for the backend (default: the global TimeOut). */
  timeoutSeconds?: number;
  /** Re-encrypt to this backend. */
  https?: boolean;
}

export interface PoundService {
  name?: string;
  /** Regular expression the request URL must match. */
  url?: string;
  /** Regular expression a request header line must match (`Host: .*example.com`). */
  headRequire?: string;
  backends: PoundBackend[];
  /** Used when every backend is dead. */
  emergency?: { address: string; port: number };
  session?: PoundSession;
}

export interface PoundListener {
  protocol: 'http' | 'https';
  address: string;
  port: number;
  /** PEM files (certificate and key); the first is the default, others are chosen by SNI. */
  certificates?: string[];
  /** Cipher policy for `Ciphers` and `Disable` (default `intermediate`). */
  policy?: TlsPolicy;
  /** Which HTTP methods pass: 0 standard, 1 +PUT/DELETE, 2 +WebDAV, 3 +MS extensions, 4 +RPC (default 0). */
  xHTTP?: 0 | 1 | 2 | 3 | 4;
  /** Add `X-Forwarded-Proto: https` (default true on https listeners). */
  forwardedProto?: boolean;
  /** Further `AddHeader` lines, each `Name: value`. */
  addHeaders?: string[];
  /** `RewriteLocation` 0, 1 or 2 (default 1). */
  rewriteLocation?: 0 | 1 | 2;
  /** Services of this listener, tried before the global ones. */
  services?: PoundService[];
}

export interface PoundConfig {
  user?: string;
  group?: string;
  /** 0 to 5 (default 1). */
  logLevel?: number;
  /** Seconds between checks of dead backends (default 30). */
  aliveSeconds?: number;
  /** Default backend timeout in seconds (default 15). */
  timeoutSeconds?: number;
  /** Run in the foreground when false (default false: a supervisor keeps it). */
  daemon?: boolean;
  /** Path of the poundctl control socket. */
  control?: string;
  listeners: PoundListener[];
  /** Services shared by every listener. */
  services?: PoundService[];
}
