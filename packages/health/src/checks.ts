/**
 * Check definitions: plain JSON-serialisable objects (the appliance stores them), named
 * after keepalived and ldirectord where a word exists. Every check runs against a real
 * server's `address` and, unless the check names its own `port`, the target's port.
 */

/** TCP connect (keepalived TCP_CHECK, ldirectord `connect`). */
export interface ConnectCheck {
  type: 'connect';
  port?: number;
}

/** HTTP or HTTPS request (keepalived HTTP_GET/SSL_GET, ldirectord `negotiate`). */
export interface NegotiateCheck {
  type: 'negotiate';
  port?: number;
  /** Default `http`. */
  scheme?: 'http' | 'https';
  /** Default `GET`. */
  method?: 'GET' | 'HEAD' | 'POST' | 'OPTIONS';
  /** Default `/`. Must start with `/`. */
  path?: string;
  /** Host header; default the address. */
  host?: string;
  headers?: Record<string, string>;
  /** Accepted statuses; default any 200-399. */
  expectStatus?: number[];
  /** The body must contain this text. */
  expectContent?: string;
  /** The body must match this regular expression (JavaScript syntax, no flags). */
  expectRegex?: string;
  /** TLS server name (SNI); default `host`, else none for an IP address. */
  servername?: string;
  /** Verify the server certificate (default true). */
  verify?: boolean;
  /** PEM CA certificates to trust instead of the system's. */
  ca?: string;
  /** PEM client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  /** Redirects to follow (default 0: a 3xx is judged as a status). */
  redirects?: number;
  /** Body bytes read at most (default 65536); content beyond is not searched. */
  maxBodyBytes?: number;
}

/**
 * A command run as `command [...args] <virtual address> <virtual port> <real address> <real port>`
 * (ldirectord's order; keepalived MISC_CHECK), with the same values in the environment.
 * Exit 0 is up. Never through a shell.
 */
export interface ExternalCheck {
  type: 'external';
  /** Absolute path of the program. */
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** keepalived `misc_dynamic`: exit 2-255 is up with weight `code - 2`, exit 1 is down. */
  dynamicWeight?: boolean;
}

/** Always up (ldirectord `on`). */
export interface OnCheck {
  type: 'on';
}

/** Always down (ldirectord `off`): maintenance. */
export interface OffCheck {
  type: 'off';
}

/** ICMP echo (v4 or v6 by the address), over one shared ping socket: no process per check. */
export interface PingCheck {
  type: 'ping';
}

/** HAProxy agent-check: TCP text protocol reporting weight and admin state. */
export interface AgentCheck {
  type: 'agent';
  /** The agent's port (required: it is never the service port). */
  port: number;
  /** Text sent after connecting (HAProxy `agent-send`). */
  send?: string;
}

export type DnsRecordType = 'A' | 'AAAA' | 'CNAME' | 'NS' | 'MX' | 'TXT' | 'SOA';

/** One DNS query over UDP (keepalived DNS_CHECK). */
export interface DnsCheck {
  type: 'dns';
  port?: number;
  /** The name to ask for. */
  name: string;
  /** Default `A`. */
  recordType?: DnsRecordType;
  /** An answer must equal this (an address for A/AAAA, a name for CNAME/NS, text for TXT). */
  expect?: string;
}

/** Greeting (banner) checks: SMTP `220`, POP3 `+OK`, IMAP `* OK`, FTP `220`; then a polite quit. */
export interface GreetingCheck {
  type: 'smtp' | 'pop3' | 'imap' | 'ftp';
  port?: number;
  /** Implicit TLS (smtps, pop3s, imaps, ftps). */
  tls?: boolean;
  servername?: string;
  verify?: boolean;
  ca?: string;
}

/** TLS handshake with the certificate checked, and a warning as it nears expiry. */
export interface TlsCheck {
  type: 'tls';
  port?: number;
  servername?: string;
  /** Verify the certificate chain (default true). Expiry is always checked. */
  verify?: boolean;
  ca?: string;
  /** Warn when the certificate expires within this many days (default 14). */
  warnDays?: number;
}

export type SendExpectStep = { send: string } | { expect: string } | { expectRegex: string };

/** A raw TCP script: send text, expect text or a pattern, in order. */
export interface SendExpectCheck {
  type: 'send-expect';
  port?: number;
  tls?: boolean;
  servername?: string;
  verify?: boolean;
  ca?: string;
  steps: SendExpectStep[];
}

export type CheckDefinition =
  | ConnectCheck
  | NegotiateCheck
  | ExternalCheck
  | OnCheck
  | OffCheck
  | PingCheck
  | AgentCheck
  | DnsCheck
  | GreetingCheck
  | TlsCheck
  | SendExpectCheck;

export type CheckType = CheckDefinition['type'];

export const CHECK_TYPES: readonly CheckType[] = [
  'connect',
  'negotiate',
  'external',
  'on',
  'off',
  'ping',
  'agent',
  'dns',
  'smtp',
  'pop3',
  'imap',
  'ftp',
  'tls',
  'send-expect',
];

/** One entry of a mixed schedule: run `check` for `rounds` consecutive rounds, then the next entry. */
export interface ScheduleEntry {
  check: CheckDefinition;
  rounds: number;
}

export type TargetState = 'unknown' | 'up' | 'down';

/** One real server (of one virtual service) to watch. */
export interface TargetDefinition {
  /** Unique id chosen by the caller (`web/192.0.2.10:80`). */
  id: string;
  /** The virtual service this target belongs to (for grouping and quorum). */
  service?: string;
  /** The real server's address (IPv4 or IPv6 literal). */
  address: string;
  /** The real server's port (checks without their own port use it). */
  port?: number;
  /** The virtual address and port, passed to external checks. */
  virtual?: { address: string; port?: number };
  /** The check; or `schedule` for a mix ("5 connects : 1 negotiate"). Exactly one of the two. */
  check?: CheckDefinition;
  schedule?: ScheduleEntry[];
  /** Milliseconds between checks (default 2000). */
  intervalMs?: number;
  /** Milliseconds between checks while no subscriber of this check is up (default `intervalMs`). */
  downIntervalMs?: number;
  /** Milliseconds before a check counts as `timeout` (default the smaller of 2000 and `intervalMs`). */
  timeoutMs?: number;
  /** Consecutive successes to come up (default 2). */
  rise?: number;
  /** Consecutive failures to go down (default 3). */
  fall?: number;
  /** State before the first result (default `unknown`, see README). */
  initialState?: TargetState;
}

/** A target with every default filled in and `check` folded into `schedule`. */
export interface NormalizedTarget {
  id: string;
  service: string | undefined;
  address: string;
  port: number | undefined;
  virtual: { address: string; port: number | undefined } | undefined;
  schedule: ScheduleEntry[];
  intervalMs: number;
  downIntervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  initialState: TargetState;
}
