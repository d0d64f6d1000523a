/**
 * Stable codes: programs branch on `code`, never on the message. Each error keeps the
 * failure beneath it as `cause`.
 */
export type HeartbeatErrorCode =
  /** A heartbeat link could not be opened (address in use, no such interface). */
  | 'HEARTBEAT_LINK_FAILED'
  /** The pair configuration is invalid; `field` names the part at fault. */
  | 'HEARTBEAT_INVALID_CONFIG';

export class HeartbeatError extends Error {
  override readonly name = 'HeartbeatError';
  readonly code: HeartbeatErrorCode;
  /** The field at fault, as a path into the caller's object (`links[0].address`). */
  readonly field: string | undefined;

  constructor(code: HeartbeatErrorCode, message: string, options: { cause?: unknown; field?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
  }
}
