/**
 * Stable codes: programs branch on `code`, never on the message. Each error keeps the
 * failure beneath it as `cause`.
 */
export type ArpFixErrorCode =
  /** Changing sysctls, addresses or netfilter needs root on the real server. */
  | 'ARPFIX_NOT_PERMITTED'
  /** A VIP or interface name is invalid; `field` names it. */
  | 'ARPFIX_INVALID_FIELD';

export class ArpFixError extends Error {
  override readonly name = 'ArpFixError';
  readonly code: ArpFixErrorCode;
  /** The field at fault, as a path into the caller's object (`vips[0]`). */
  readonly field: string | undefined;

  constructor(code: ArpFixErrorCode, message: string, options: { cause?: unknown; field?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
  }
}
