/**
 * Stable codes: programs branch on `code`, never on the message. Each error keeps the
 * failure beneath it as `cause`.
 */
export type HaproxyConfigErrorCode =
  /** The haproxy binary was not found or could not run. */
  | 'HAPROXY_BINARY_MISSING'
  /** A field of the model is invalid (a newline in a name, a bad address); `field` names it. */
  | 'HAPROXY_INVALID_FIELD'
  /** Two objects of one kind share a name; `field` names the second. */
  | 'HAPROXY_DUPLICATE_NAME'
  /** A reference (use_backend, default backend) names an object that does not exist. */
  | 'HAPROXY_UNKNOWN_REFERENCE'
  /** Options that cannot go together (cookie persistence in a `tcp` backend, a `tcp` frontend with an `http` backend). */
  | 'HAPROXY_INCOMPATIBLE'
  /** A program or socket call did not finish in time. */
  | 'HAPROXY_TIMEOUT'
  /** The admin or master socket could not be reached or broke mid-answer. */
  | 'HAPROXY_SOCKET_ERROR'
  /** HAProxy answered a runtime command with an error; the message holds its answer. */
  | 'HAPROXY_COMMAND_FAILED'
  /** HAProxy's answer could not be parsed. */
  | 'HAPROXY_UNEXPECTED_RESPONSE'
  /** The running HAProxy version does not offer this (e.g. `add server` before 2.6 or on a `balance` that forbids it). */
  | 'HAPROXY_UNSUPPORTED'
  /** The supervised HAProxy could not start, or stopped. */
  | 'HAPROXY_START_FAILED'
  /** A reload was sent but no new worker came up. */
  | 'HAPROXY_RELOAD_FAILED'
  /** The supervisor is stopped (or stopping) and cannot take the call. */
  | 'HAPROXY_SUPERVISOR_STOPPED';

export class HaproxyConfigError extends Error {
  override readonly name = 'HaproxyConfigError';
  readonly code: HaproxyConfigErrorCode;
  /** The field at fault, as a path into the caller's object (`backends[0].servers[1].address`). */
  readonly field: string | undefined;

  constructor(code: HaproxyConfigErrorCode, message: string, options: { cause?: unknown; field?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
  }
}

/** Shorthand for the most common error: a field of the caller's input is invalid. */
export function invalidField(field: string, message: string, cause?: unknown): HaproxyConfigError {
  return new HaproxyConfigError('HAPROXY_INVALID_FIELD', `${field}: ${message}`, {
    field,
    ...(cause === undefined ? {} : { cause }),
  });
}
