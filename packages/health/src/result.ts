/**
 * Why a check failed. Stable strings: the appliance logs them and branches on them.
 * - `unreachable`: no route, host unreachable (ICMP or ARP/ND gave up), network down.
 * - `refused`: the host answered with a reset to our SYN (nothing listens).
 * - `reset`: the connection was established and then reset or closed early.
 * - `timeout`: no conclusive answer within the check's timeout.
 * - `tls`: handshake failed, certificate untrusted, expired, or for another name.
 * - `bad-status`: HTTP status not among the expected ones.
 * - `content-mismatch`: body (or send/expect reply) lacks the expected content.
 * - `protocol`: the peer spoke, but not the protocol expected (bad greeting, bad DNS answer).
 * - `dns-mismatch`: the DNS answer lacks the expected record, or has an error rcode.
 * - `exit-status`: an external command exited non-zero or was killed by a signal.
 * - `agent-down`: a feedback agent reported `down`, `fail` or `stopped`.
 * - `manual-off`: an `off` check (maintenance).
 * - `error`: anything else (the detail says what); a bug report, not a server state.
 */
export type FailureReason =
  | 'unreachable'
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'tls'
  | 'bad-status'
  | 'content-mismatch'
  | 'protocol'
  | 'dns-mismatch'
  | 'exit-status'
  | 'agent-down'
  | 'manual-off'
  | 'error';

export const FAILURE_REASONS: readonly FailureReason[] = [
  'unreachable',
  'refused',
  'reset',
  'timeout',
  'tls',
  'bad-status',
  'content-mismatch',
  'protocol',
  'dns-mismatch',
  'exit-status',
  'agent-down',
  'manual-off',
  'error',
];

/** The administrative state a feedback agent asks for (HAProxy agent-check words). */
export type AgentAdminState = 'ready' | 'drain' | 'maint';

/** The outcome of one check run. */
export interface CheckResult {
  ok: boolean;
  /** Set when `ok` is false. */
  reason?: FailureReason;
  /** Human text for the log: the status line, the error message, the mismatch. */
  detail?: string;
  /** HTTP status, when there was one. */
  status?: number;
  /** External command output (stdout then stderr, truncated), for the log. */
  output?: string;
  /** Dynamic weight asked for by a feedback agent (percent of the configured weight) or `dynamicWeight` external. */
  weight?: number;
  /** Admin state asked for by a feedback agent. */
  admin?: AgentAdminState;
  /** Non-fatal findings, such as a certificate about to expire. */
  warnings?: string[];
}

export function pass(extra: Omit<CheckResult, 'ok' | 'reason'> = {}): CheckResult {
  return { ok: true, ...extra };
}

export function fail(
  reason: FailureReason,
  detail: string,
  extra: Omit<CheckResult, 'ok' | 'reason' | 'detail'> = {},
): CheckResult {
  return { ok: false, reason, detail, ...extra };
}

/** What the scheduler, `runCheck` and the connect lane report when a check outlives its timeout. */
export function timedOut(timeoutMs: number): CheckResult {
  return fail('timeout', `no conclusive answer within ${timeoutMs} ms`);
}

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'ENONET']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ABORT_ERR',
]);

function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('CERT_') ||
    code.includes('CERT') ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'HOSTNAME_MISMATCH'
  );
}

/** Maps a socket, TLS or undici error to a failure result, looking through `cause` chains. */
export function classifyError(error: unknown): CheckResult {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') {
      if (code === 'ECONNREFUSED') return fail('refused', current.message);
      if (UNREACHABLE.has(code)) return fail('unreachable', current.message);
      if (RESET.has(code)) return fail('reset', current.message);
      if (TIMEOUT.has(code)) return fail('timeout', current.message);
      if (isTlsCode(code)) return fail('tls', current.message);
    }
    if (current.name === 'AbortError' || current.name === 'TimeoutError') return fail('timeout', current.message);
    current = current.cause;
  }
  return fail('error', error instanceof Error ? error.message : String(error));
}
