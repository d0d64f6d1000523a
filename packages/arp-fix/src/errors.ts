/**
 * Stable codes: programs branch on `code`, never on the message. Each error keeps the
 * failure beneath it as `cause`.
 */
export type ArpFixErrorCode =
  /** Changing sysctls, addresses or netfilter needs root on the real server. */
  | 'ARPFIX_NOT_PERMITTED'
  /** A VIP, port, interface or adapter name is invalid; `field` names it. */
  | 'ARPFIX_INVALID_FIELD'
  /** The redirect method cannot serve this VIP (IPv6, or IP-based virtual hosting). */
  | 'ARPFIX_METHOD_REFUSED'
  /** A command (`ip`, `nft`, `iptables`, `sysctl`, `arping`, ...) failed; `cause` holds its stderr. */
  | 'ARPFIX_COMMAND_FAILED'
  /** A program the operation needs is not installed. */
  | 'ARPFIX_MISSING_BINARY'
  /** A file or command output could not be understood. */
  | 'ARPFIX_PARSE'
  /** A change record could not be reverted because the system changed since (value differs). */
  | 'ARPFIX_REVERT_CONFLICT'
  /** Reading or writing a file under the root failed. */
  | 'ARPFIX_IO';

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
