/**
 * Stable codes: programs (and the REST API) branch on `code`, never on the message. Each
 * error names the field at fault as a path into the configuration
 * (`layer4[2].realServers[0].port`) and keeps the failure beneath it as `cause`.
 */
export type ApplianceErrorCode =
  /** The configuration does not match the schema (wrong type, unknown field, bad string); `field` names it. */
  | 'CONFIG_INVALID'
  /** A DR or TUN real server names a port other than the virtual port: these methods cannot translate ports. */
  | 'CONFIG_PORT_TRANSLATION'
  /** Two listeners claim the same VIP, port and protocol (or the same firewall mark). */
  | 'CONFIG_DUPLICATE_LISTENER'
  /** Two objects of one kind share a label (or two users a name). */
  | 'CONFIG_DUPLICATE_LABEL'
  /** An address is of the wrong family (an IPv6 real server behind an IPv4 NAT or DR VIP, ...). */
  | 'CONFIG_ADDRESS_FAMILY'
  /** A reference (health check, certificate, Layer 7 service) names nothing that exists. */
  | 'CONFIG_UNKNOWN_REFERENCE'
  /** Options that cannot go together (RDP cookie persistence in HTTP mode, ports on a firewall-mark service, ...). */
  | 'CONFIG_CONFLICT'
  /** A change was rejected; `issues` holds every error found, each with its own code and field. */
  | 'CONFIG_REJECTED'
  /** A write was based on a version that is no longer the current one (the Data Plane API's 409). */
  | 'STORE_CONFLICT'
  /** No such configuration version. */
  | 'STORE_NOT_FOUND'
  /** An argument of a store call (author, comment, version number) is invalid; `field` names it. */
  | 'STORE_INVALID_ARGUMENT'
  /** A file in the data directory cannot be read as what it should be; `field` names the file. */
  | 'STORE_CORRUPT'
  /** The file system refused a read or write; `cause` holds the system error. */
  | 'STORE_IO';

export interface ApplianceErrorOptions {
  cause?: unknown;
  field?: string;
  issues?: readonly ApplianceError[];
}

export class ApplianceError extends Error {
  override readonly name = 'ApplianceError';
  readonly code: ApplianceErrorCode;
  /** The field at fault, as a path into the configuration (`layer4[2].realServers[0].port`). */
  readonly field: string | undefined;
  /** For CONFIG_REJECTED: every error found, so that a client can show them all at once. */
  readonly issues: readonly ApplianceError[];

  constructor(code: ApplianceErrorCode, message: string, options: ApplianceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.issues = options.issues ?? [];
  }

  /** The plain form for JSON answers and the audit log. */
  toJSON(): { code: ApplianceErrorCode; field?: string; message: string; issues?: unknown[] } {
    return {
      code: this.code,
      ...(this.field === undefined ? {} : { field: this.field }),
      message: this.message,
      ...(this.issues.length === 0 ? {} : { issues: this.issues.map((issue) => issue.toJSON()) }),
    };
  }
}

/** A field error in one line, for validators: the message starts with the field. */
export function fieldError(code: ApplianceErrorCode, field: string, message: string): ApplianceError {
  return new ApplianceError(code, `${field}: ${message}`, { field });
}
