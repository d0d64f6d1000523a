/**
 * Stable codes: programs branch on `code`, never on the message. Each error keeps the
 * failure beneath it as `cause`.
 */
export type HeartbeatErrorCode =
  /** A heartbeat link could not be opened (address in use, no such interface). */
  | 'HEARTBEAT_LINK_FAILED'
  /** The pair configuration is invalid; `field` names the part at fault. */
  | 'HEARTBEAT_INVALID_CONFIG'
  /** A packet could not be encoded (a value out of range); `field` names it. */
  | 'HEARTBEAT_INVALID_PACKET'
  /** A resource failed to acquire or release; `field` names the resource. */
  | 'HEARTBEAT_RESOURCE_FAILED'
  /** rtnetlink refused to add or remove a floating address, or the interface is missing. */
  | 'HEARTBEAT_ADDRESS_FAILED'
  /** The gratuitous ARP / unsolicited neighbour advertisement could not be sent. */
  | 'HEARTBEAT_ANNOUNCE_FAILED'
  /** The node was used in a way its lifecycle does not allow (started twice, used after stop). */
  | 'HEARTBEAT_BAD_STATE';

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
