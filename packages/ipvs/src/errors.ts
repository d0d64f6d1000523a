import { errnoName as nameOf } from '@sluice/linux';

/**
 * Stable codes: programs branch on `code`, never on the message. Each error keeps the
 * failure beneath it as `cause`, and kernel errors keep their errno.
 */
export type IpvsErrorCode =
  /** The kernel has no IPVS: `modprobe ip_vs`, or the kernel lacks CONFIG_IP_VS. */
  | 'IPVS_UNAVAILABLE'
  /** A field of a service or destination is invalid; `field` names it. */
  | 'IPVS_INVALID_FIELD'
  /** The service or destination exists already (EEXIST). */
  | 'IPVS_EXISTS'
  /** No such service (ESRCH) or destination (ENOENT). */
  | 'IPVS_NOT_FOUND'
  /** The kernel refused a value (EINVAL, EAFNOSUPPORT, ...); `errno` says which. */
  | 'IPVS_KERNEL_INVALID'
  /** The kernel lacks a scheduler, persistence engine or tunnel type that was asked for. */
  | 'IPVS_FEATURE_UNAVAILABLE'
  /** Changes need CAP_NET_ADMIN (EPERM). */
  | 'IPVS_PERMISSION'
  /** The kernel did not answer in time. */
  | 'IPVS_TIMEOUT'
  /** Any other kernel error; `errno` holds it. */
  | 'IPVS_KERNEL_ERROR'
  /** The socket (or the namespace worker holding it) failed. */
  | 'IPVS_TRANSPORT'
  /** The kernel sent something this library cannot decode. */
  | 'IPVS_PROTOCOL';

export interface IpvsErrorOptions {
  cause?: unknown;
  field?: string;
  errno?: number;
}

export function errnoName(errno: number): string {
  return nameOf(errno);
}

export class IpvsError extends Error {
  override readonly name = 'IpvsError';
  readonly code: IpvsErrorCode;
  /** The field at fault, as a path into the caller's object (`destinations[2].port`). */
  readonly field: string | undefined;
  /** The kernel's errno, for errors the kernel returned. */
  readonly errno: number | undefined;

  constructor(code: IpvsErrorCode, message: string, options: IpvsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.errno = options.errno;
  }

  /** The errno's symbolic name (`EEXIST`), when there is one. */
  get errnoName(): string | undefined {
    return this.errno === undefined ? undefined : errnoName(this.errno);
  }
}

/** A field error in one line, for validators. */
export function invalid(field: string, message: string): IpvsError {
  return new IpvsError('IPVS_INVALID_FIELD', `${field}: ${message}`, { field });
}
