/**
 * The typed model of an HAProxy configuration. Everything is optional except what HAProxy
 * cannot do without (names, addresses, ports); `render()` fills in production defaults.
 * Every string is validated before it reaches the text: see README "Strings".
 */

/** Mozilla's server-side TLS profiles (https://wiki.mozilla.org/Security/Server_Side_TLS). */
export type TlsPolicy = 'modern' | 'intermediate' | 'legacy';
export type ProxyMode = 'http' | 'tcp';

export interface LogTarget {
  /** A unix socket path (`/dev/log`) or the IP address of a UDP syslog server. */
  address: string;
  /** UDP port (default 514) when `address` is an IP address. */
  port?: number;
  /** Syslog facility (default `local0`). */
  facility?: string;
  /** Highest level sent (`info`, `notice`, ...); all levels when absent. */
  level?: string;
}

export interface AdminSocket {
  path: string;
  /** File mode of the socket (default 0o600). */
  mode?: number;
  /** Access level (default `admin`). */
  level?: 'user' | 'operator' | 'admin';
  /** Pass listening sockets to the next process on reload (default true): this is what makes reloads hitless. */
  exposeFdListeners?: boolean;
}

export interface GlobalSection {
  /** `master-worker` (default true). */
  masterWorker?: boolean;
  /** The admin (stats) socket; default `/run/haproxy/admin.sock`; `false` for none. */
  adminSocket?: AdminSocket | false;
  /** Default `[{ address: '/dev/log', facility: 'local0' }]`; `[]` for none. */
  log?: LogTarget[];
  maxconn?: number;
  user?: string;
  group?: string;
  chroot?: string;
  nbthread?: number;
  /** `stats timeout` on the admin socket, in ms (default 30000). */
  statsTimeoutMs?: number;
  /** Where the supervisor saves server states before a reload; enables `load-server-state-from-file`. */
  serverStateFile?: string;
  /** TLS policy of every `ssl` bind that sets none (default `intermediate`). */
  tlsPolicy?: TlsPolicy;
  /** `tune.ssl.default-dh-param` (default 2048). */
  sslDhParamBits?: number;
}

/** Timeouts in milliseconds. */
export interface Timeouts {
  connect?: number;
  client?: number;
  server?: number;
  httpRequest?: number;
  httpKeepAlive?: number;
  queue?: number;
  check?: number;
  tunnel?: number;
  clientFin?: number;
  serverFin?: number;
}

export interface DefaultsSection {
  /** Default `http`. */
  mode?: ProxyMode;
  /** Merged over the production defaults (connect 5s, client/server 50s, http-request 10s, ...). */
  timeouts?: Timeouts;
  /** `retries` (default 3). */
  retries?: number;
  /** `option redispatch` (default true): a request whose persistent server is down goes to another. */
  redispatch?: boolean;
  /** `option dontlognull` (default true). */
  dontLogNull?: boolean;
  maxconn?: number;
}

export interface BindTls {
  /** Certificate files (PEM with key) or directories of them; HAProxy picks one by SNI, the first is the default. */
  certificates: string[];
  /** Overrides the global policy for this bind. */
  policy?: TlsPolicy;
  /** ALPN protocols, in preference order (default `['h2', 'http/1.1']` in http mode, none in tcp mode). */
  alpn?: string[];
  /** Refuse handshakes whose SNI matches no certificate. */
  strictSni?: boolean;
  /** Ask for (`optional`) or require a client certificate signed by `clientCa`. */
  clientVerify?: 'none' | 'optional' | 'required';
  clientCa?: string;
}

export interface Bind {
  /** An IPv4 or IPv6 address; `0.0.0.0` or `::` for all. */
  address: string;
  /** One `bind` line per port. */
  ports: number[];
  /** For `::`: IPv6 only (default false: dual stack). */
  v6only?: boolean;
  tls?: BindTls;
  /** Expect a PROXY protocol header (v1 or v2) from the client side. */
  acceptProxy?: boolean;
  /** Bind a non-local address (`transparent`, TPROXY on the listening side). */
  transparent?: boolean;
}

export type ConditionKind =
  | 'pathPrefix'
  | 'pathSuffix'
  | 'pathExact'
  | 'pathRegex'
  | 'host'
  | 'method'
  | 'sni'
  | 'source';

/** One ACL: true when the fetched value matches any of `values`. */
export interface Condition {
  kind: ConditionKind;
  values: string[];
  /** Case-insensitive match (default true for `host` and `sni`, false otherwise). */
  ignoreCase?: boolean;
  negate?: boolean;
}

/** `use_backend <backend> if <every condition>`: rules are tried in order, the first that matches wins. */
export interface SwitchRule {
  /** Names the ACLs in the output (default `rule<index>`). */
  name?: string;
  backend: string;
  conditions: Condition[];
}

export interface HeaderAction {
  action: 'add' | 'set' | 'delete';
  name: string;
  /** Literal value (a `%` is sent as `%`); required for add and set. */
  value?: string;
  /** Default `request`. */
  on?: 'request' | 'response';
}

export interface ForwardFor {
  /** Do not add the header for clients in this network (`except`). */
  except?: string;
  /** Header name (default `X-Forwarded-For`). */
  header?: string;
  /** Only add when the request has none (`if-none`). */
  ifNone?: boolean;
}

export interface Hsts {
  /** Seconds (default one year). */
  maxAge?: number;
  includeSubdomains?: boolean;
  preload?: boolean;
}

export interface Frontend {
  name: string;
  /** Default: the defaults' mode. */
  mode?: ProxyMode;
  binds: Bind[];
  defaultBackend?: string;
  rules?: SwitchRule[];
  /** `option forwardfor`; `true` for the plain option. */
  forwardFor?: boolean | ForwardFor;
  /** Set `X-Forwarded-Proto: https` (TLS) or `http` on every request. */
  forwardedProto?: boolean;
  headers?: HeaderAction[];
  /** Redirect plain HTTP to HTTPS (default code 301). */
  redirectToHttps?: boolean | { code: 301 | 302 | 303 | 307 | 308 };
  /** `Strict-Transport-Security` on TLS responses. */
  hsts?: boolean | Hsts;
  maxconn?: number;
  timeouts?: Pick<Timeouts, 'client' | 'httpRequest' | 'httpKeepAlive' | 'clientFin'>;
  /** One line of free text, rendered as a comment. */
  comment?: string;
}

export type BalanceAlgorithm =
  | 'roundrobin'
  | 'static-rr'
  | 'leastconn'
  | 'first'
  | 'source'
  | 'uri'
  | 'hdr'
  | 'rdp-cookie';

export interface Balance {
  algorithm: BalanceAlgorithm;
  /** The header for `hdr` (e.g. `Host`). */
  header?: string;
  /** The cookie for `rdp-cookie` (default `mstshash`). */
  cookie?: string;
  /**
   * How a hash algorithm (`source`, `uri`, `hdr`, `rdp-cookie`) maps a key to a server
   * (`hash-type`; HAProxy's default `map-based`). `consistent` places each server on a ring by
   * its `id` and weight, so several HAProxy instances with the same servers, ids and weights
   * pick the same server for a key, and a server that goes or comes moves only its own share.
   */
  hashType?: HashType;
}

export type HashType = 'map-based' | 'consistent';

export type Persistence =
  | { type: 'none' }
  /** HAProxy inserts its own cookie naming the server (active). */
  | {
      type: 'cookie-insert';
      cookie: string;
      /** Keep the cookie from the server (default true). */
      indirect?: boolean;
      /** Mark responses carrying the cookie uncacheable (default true). */
      nocache?: boolean;
      httpOnly?: boolean;
      secure?: boolean;
      /** Seconds of idleness after which the cookie is ignored. */
      maxIdle?: number;
      /** Seconds after first use after which the cookie is ignored. */
      maxLife?: number;
    }
  /** The application's own cookie, prefixed with the server's value (passive). */
  | { type: 'cookie-prefix'; cookie: string }
  /** The application's own cookie, its value replaced by the server's (passive). */
  | { type: 'cookie-rewrite'; cookie: string }
  /** Source address stick table. */
  | { type: 'source'; expireSeconds?: number; size?: number; family?: 'ipv4' | 'ipv6' }
  /** Terminal Services: the `Cookie: mstshash=` of the RDP connection request (tcp mode). */
  | { type: 'rdp-cookie'; expireSeconds?: number; size?: number }
  /** TLS session id learnt from the hellos (tcp mode, TLS passed through). */
  | { type: 'ssl-session-id'; expireSeconds?: number; size?: number };

export interface HealthCheck {
  /** `tcp` connects; `http` sends a request (default `tcp`). */
  type?: 'tcp' | 'http';
  /** ms between checks (default 2000). */
  intervalMs?: number;
  /** Checks in a row to go up / down (default 2 / 3). */
  rise?: number;
  fall?: number;
  /** HTTP check. */
  method?: string;
  path?: string;
  host?: string;
  /** Expected status (default any 2xx/3xx). */
  expectStatus?: number;
  /**
   * The check speaks TLS (an HTTPS check, or a TLS handshake for `tcp`): `check-ssl` without
   * certificate verification on servers that are not re-encrypted (those check over their own TLS
   * settings). Health checks ask "does it answer", not "is its certificate trusted", as ldirectord's do.
   */
  tls?: boolean;
}

export interface AgentCheck {
  port: number;
  /** ms between agent polls (default 2000). */
  intervalMs?: number;
  /** String sent to the agent on connect. */
  send?: string;
}

export interface ServerTls {
  /** `required` checks the chain against `ca` (default `required`). */
  verify?: 'none' | 'required';
  ca?: string;
  /** Name checked against the certificate (`verifyhost`) when no `sni` is sent. */
  verifyHost?: string;
  /** SNI sent to the server; with `verify: 'required'` the certificate must match this name. */
  sni?: string;
  /** ALPN offered to the server. */
  alpn?: string[];
}

export interface Server {
  name: string;
  /**
   * The server's numeric id (`id`), unique in its backend; default the next free one in
   * declaration order. Consistent hashing places a server on its ring by this id, so instances
   * that must agree give each server the same id whatever its place in the list.
   */
  id?: number;
  address: string;
  /** Default: the client's destination port. */
  port?: number;
  /** 0 to 256 (default 1). */
  weight?: number;
  maxconn?: number;
  /** Used only when every other server is down (the appliance's fallback server). */
  backup?: boolean;
  /** Starts in maintenance (`disabled`). */
  disabled?: boolean;
  /** Health check (default on, with the backend's parameters). */
  check?: boolean;
  /** Port the check connects to, when not the service port. */
  checkPort?: number;
  agent?: AgentCheck;
  /** Send a PROXY protocol header to the server. */
  sendProxy?: 'v1' | 'v2';
  /** Re-encrypt to the server. */
  tls?: ServerTls;
  /** Value of the persistence cookie for this server (default its name). */
  cookie?: string;
  comment?: string;
}

export interface Backend {
  name: string;
  mode?: ProxyMode;
  balance?: Balance;
  persistence?: Persistence;
  healthCheck?: HealthCheck;
  servers: Server[];
  /** TPROXY: connect to the servers from the client's address (`source ... usesrc clientip`). */
  transparent?: boolean;
  /** `option forwardfor` on this backend's requests. */
  forwardFor?: boolean | ForwardFor;
  headers?: HeaderAction[];
  timeouts?: Pick<Timeouts, 'connect' | 'server' | 'queue' | 'check' | 'tunnel' | 'serverFin'>;
  comment?: string;
}

export interface HaproxyConfig {
  global?: GlobalSection;
  defaults?: DefaultsSection;
  frontends: Frontend[];
  backends: Backend[];
}
