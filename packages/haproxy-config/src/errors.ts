/**
 * Stable codes: programs branch on `code`, never on the message. Each error keeps the
 * failure beneath it as `cause`.
 */
export type HaproxyConfigErrorCode =
  /** The haproxy binary was not found or could not run. */
  | 'HAPROXY_BINARY_MISSING'
  /** A field of the model is invalid (a newline in a name, a bad address); `field` names it. */
  | 'HAPROXY_INVALID_FIELD';

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
