/**
 * Stable codes: programs branch on `code`, never on the message. Each error keeps the
 * failure beneath it as `cause`.
 */
export type HealthErrorCode =
  /** A check could not start at all (bad command, unreachable socket API). */
  | 'HEALTH_CHECK_FAILED_TO_START'
  /** A check target is invalid; `field` names the part at fault. */
  | 'HEALTH_INVALID_TARGET'
  /** A check definition is invalid; `field` names the part at fault. */
  | 'HEALTH_INVALID_CHECK'
  /** A scheduler, quorum or executor option is invalid; `field` names it. */
  | 'HEALTH_INVALID_OPTION'
  /** The scheduler was stopped and accepts no more targets. */
  | 'HEALTH_STOPPED';

export class HealthError extends Error {
  override readonly name = 'HealthError';
  readonly code: HealthErrorCode;
  /** The field at fault, as a path into the caller's object (`targets[3].timeout`). */
  readonly field: string | undefined;

  constructor(code: HealthErrorCode, message: string, options: { cause?: unknown; field?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
  }
}
