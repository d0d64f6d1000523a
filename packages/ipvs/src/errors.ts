/**
 * Stable codes: programs branch on `code`, never on the message. Each error keeps the
 * failure beneath it as `cause`, and kernel errors keep their errno.
 */
export type IpvsErrorCode =
  /** The kernel has no IPVS: `modprobe ip_vs`, or the kernel lacks CONFIG_IP_VS. */
  | 'IPVS_UNAVAILABLE'
  /** A field of a service or destination is invalid; `field` names it. */
  | 'IPVS_INVALID_FIELD';

export class IpvsError extends Error {
  override readonly name = 'IpvsError';
  readonly code: IpvsErrorCode;
  /** The field at fault, as a path into the caller's object (`destinations[2].port`). */
  readonly field: string | undefined;

  constructor(code: IpvsErrorCode, message: string, options: { cause?: unknown; field?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
  }
}
