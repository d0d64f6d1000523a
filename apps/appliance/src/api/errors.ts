import { ApplianceError, type ApplianceErrorCode, fieldError } from '../errors.js';

/**
 * The HTTP status of each error code: the REST API contract's mapping. A Record, so that a
 * new code does not compile until it has a status (a `default` would make it a 400).
 */
const STATUS: Record<ApplianceErrorCode, number> = {
  CONFIG_INVALID: 400,
  CONFIG_PORT_TRANSLATION: 400,
  CONFIG_DUPLICATE_LISTENER: 400,
  CONFIG_DUPLICATE_LABEL: 400,
  CONFIG_ADDRESS_FAMILY: 400,
  CONFIG_UNKNOWN_REFERENCE: 400,
  CONFIG_CONFLICT: 400,
  CONFIG_GATEWAY_UNREACHABLE: 400,
  CONFIG_REJECTED: 422,
  STORE_CONFLICT: 409,
  STORE_NOT_FOUND: 404,
  STORE_INVALID_ARGUMENT: 400,
  STORE_CORRUPT: 500,
  STORE_IO: 500,
  AUTH_REQUIRED: 401,
  AUTH_FAILED: 401,
  AUTH_RATE_LIMITED: 429,
  AUTH_PASSWORD_CHANGE_REQUIRED: 403,
  AUTH_FORBIDDEN: 403,
  AUTH_CSRF: 403,
  API_BAD_REQUEST: 400,
  API_NOT_FOUND: 404,
  API_METHOD_NOT_ALLOWED: 405,
  API_BODY_TOO_LARGE: 413,
  API_UNSUPPORTED_MEDIA_TYPE: 415,
  API_VERSION_REQUIRED: 428,
  API_PRECONDITION_FAILED: 412,
  API_TOO_MANY_STREAMS: 429,
  API_INTERNAL: 500,
  HA_PASSIVE: 409,
  CLUSTER_FOLLOWER: 409,
  HA_PEER: 502,
  HA_DISABLED: 409,
  HA_STALE_VERSION: 409,
  HA_BUSY: 503,
  HA_ENGINE_UNAVAILABLE: 503,
  HA_ENGINE_FAILED: 502,
  BACKUP_INVALID: 400,
  ENGINE_UNAVAILABLE: 503,
  ENGINE_APPLY_FAILED: 502,
  ENGINE_ANNOUNCE_FAILED: 502,
  CERTIFICATE_INVALID: 400,
  CERTIFICATE_PKCS12_ITERATIONS: 400,
  LAB_FAILED: 500,
  SERVICE_NOTIFY_FAILED: 500,
  SETTINGS_INVALID: 500,
  IMPORT_INVALID: 400,
  NETWORK_ADDRESS_IN_USE: 409,
  NETWORK_NO_TRIAL: 409,
  NETWORK_APPLY_FAILED: 502,
  BGP_INVALID: 400,
  BGP_UNAVAILABLE: 503,
  BGP_CONTROL_FAILED: 502,
};

export function statusOf(code: ApplianceErrorCode): number {
  // A code the type does not know can only come from a bug here (a peer's answer is mapped
  // through the same type): the appliance's fault, not the client's.
  return STATUS[code] ?? 500;
}

export const badRequest = (field: string, message: string) => fieldError('API_BAD_REQUEST', field, message);
export const notFound = (what: string) => new ApplianceError('API_NOT_FOUND', `no ${what}`);
