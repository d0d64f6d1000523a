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
  /** A gateway (default or a route's) is in no configured interface's network: nothing could reach it. */
  | 'CONFIG_GATEWAY_UNREACHABLE'
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
  | 'STORE_IO'
  /** A request without a valid session or API token. */
  | 'AUTH_REQUIRED'
  /** Wrong user name or password. */
  | 'AUTH_FAILED'
  /** Too many failed logins from this address or for this user; retry after `Retry-After`. */
  | 'AUTH_RATE_LIMITED'
  /** The first-boot password must be changed before anything else. */
  | 'AUTH_PASSWORD_CHANGE_REQUIRED'
  /** The user's role does not allow this (a read-only user writing). */
  | 'AUTH_FORBIDDEN'
  /** A cookie-authenticated write without the session's CSRF token. */
  | 'AUTH_CSRF'
  /** The request itself is malformed (not JSON, wrong type, unknown field); `field` names it. */
  | 'API_BAD_REQUEST'
  /** No such resource. */
  | 'API_NOT_FOUND'
  /** The method is not allowed on this resource. */
  | 'API_METHOD_NOT_ALLOWED'
  /** The body exceeds the size limit. */
  | 'API_BODY_TOO_LARGE'
  /** The body is not `application/json` (or the upload type the route takes). */
  | 'API_UNSUPPORTED_MEDIA_TYPE'
  /** A write without the `version` it was based on. */
  | 'API_VERSION_REQUIRED'
  /** `If-Match` names a version that is not the current one (HTTP's precondition: 412). */
  | 'API_PRECONDITION_FAILED'
  /** Too many live event streams open for this user or token, or on the appliance; close one first. */
  | 'API_TOO_MANY_STREAMS'
  /** A fault of the appliance itself (never of the request); the log holds the detail. */
  | 'API_INTERNAL'
  /** This node is the passive one of an HA pair: edit on the active node. */
  | 'HA_PASSIVE'
  /** This node follows the configuring node of an ECMP cluster: edit the configuration there. */
  | 'CLUSTER_FOLLOWER'
  /** The peer is unreachable or refused a replication or role change. */
  | 'HA_PEER'
  /** HA is not configured on this node. */
  | 'HA_DISABLED'
  /** A replicated version is older than the one this node holds: it never overwrites a newer one. */
  | 'HA_STALE_VERSION'
  /** The replica endpoint is reading as many peer requests as it takes at once; retry after `Retry-After`. */
  | 'HA_BUSY'
  /** The HA engine process (heartbeat, floating IPs) cannot be reached or started; the log holds why. */
  | 'HA_ENGINE_UNAVAILABLE'
  /** The HA engine process refused or failed a request (a heartbeat that cannot start, an address it cannot hold). */
  | 'HA_ENGINE_FAILED'
  /** A backup file is not one this appliance wrote (or is damaged); nothing was restored. */
  | 'BACKUP_INVALID'
  /** A part of the engine cannot run on this host (no IPVS, no root, no HAProxy); `cause` says why. */
  | 'ENGINE_UNAVAILABLE'
  /** Applying a configuration to the kernel or HAProxy failed; `cause` holds the package's error. */
  | 'ENGINE_APPLY_FAILED'
  /** A gratuitous ARP / unsolicited neighbour advertisement for a held address could not be sent; `field` names the address. */
  | 'ENGINE_ANNOUNCE_FAILED'
  /** A certificate or key cannot be read, does not match, or has expired. */
  | 'CERTIFICATE_INVALID'
  /** A PKCS#12 file asks more key derivation iterations than the appliance runs on its event loop. */
  | 'CERTIFICATE_PKCS12_ITERATIONS'
  /** The lab cannot be built (not root, names taken); `cause` says why. */
  | 'LAB_FAILED'
  /** Started by systemd with a notify socket, the daemon could not tell it its state; `cause` says why. */
  | 'SERVICE_NOTIFY_FAILED'
  /**
   * A network change would remove the address this request came in on: resend it with
   * `?addressLoss=accept` to apply it anyway (the change is still rolled back unless confirmed).
   */
  | 'NETWORK_ADDRESS_IN_USE'
  /** No network change waits for confirmation (it was confirmed, rolled back, or none was made). */
  | 'NETWORK_NO_TRIAL'
  /** The host's network files or tools (networkctl, hostnamectl) failed; `cause` holds the error. */
  | 'NETWORK_APPLY_FAILED'
  /** The service settings file (`/etc/default/sluice`) holds an unknown name or a bad value; `field` names it. */
  | 'SETTINGS_INVALID'
  /** A configuration to import cannot be read (syntax, an include that is missing or loops); `field` is `file:line`. Nothing is imported. */
  | 'IMPORT_INVALID'
  /** A BGP announcement setting (router id, ASN, peer address, password, timer, VIP) is invalid; `field` names it. */
  | 'BGP_INVALID'
  /** The routing daemon (BIRD 2) is not installed or cannot be started; `cause` says why. */
  | 'BGP_UNAVAILABLE'
  /** The routing daemon's control socket refused, failed or timed out on a request; the message holds its reply. */
  | 'BGP_CONTROL_FAILED';

export interface ApplianceErrorOptions {
  cause?: unknown;
  field?: string;
  issues?: readonly ApplianceError[];
  /** Seconds after which the same request may succeed (HTTP `Retry-After`). */
  retryAfter?: number;
}

export class ApplianceError extends Error {
  override readonly name = 'ApplianceError';
  readonly code: ApplianceErrorCode;
  /** The field at fault, as a path into the configuration (`layer4[2].realServers[0].port`). */
  readonly field: string | undefined;
  /** For CONFIG_REJECTED: every error found, so that a client can show them all at once. */
  readonly issues: readonly ApplianceError[];
  /** For a limit (AUTH_RATE_LIMITED, HA_BUSY): seconds after which a retry may succeed. */
  readonly retryAfter: number | undefined;

  constructor(code: ApplianceErrorCode, message: string, options: ApplianceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.issues = options.issues ?? [];
    this.retryAfter = options.retryAfter;
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
