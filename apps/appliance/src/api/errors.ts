import { ApplianceError, type ApplianceErrorCode, fieldError } from '../errors.js';

/** The HTTP status of each error code: the REST API contract's mapping. */
export function statusOf(code: ApplianceErrorCode): number {
  switch (code) {
    case 'CONFIG_REJECTED':
      return 422;
    case 'AUTH_REQUIRED':
    case 'AUTH_FAILED':
      return 401;
    case 'AUTH_FORBIDDEN':
    case 'AUTH_CSRF':
    case 'AUTH_PASSWORD_CHANGE_REQUIRED':
      return 403;
    case 'API_NOT_FOUND':
    case 'STORE_NOT_FOUND':
      return 404;
    case 'API_METHOD_NOT_ALLOWED':
      return 405;
    case 'STORE_CONFLICT':
    case 'HA_PASSIVE':
    case 'HA_DISABLED':
    case 'HA_STALE_VERSION':
      return 409;
    case 'API_BODY_TOO_LARGE':
      return 413;
    case 'API_UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'API_VERSION_REQUIRED':
      return 428;
    case 'AUTH_RATE_LIMITED':
    case 'API_TOO_MANY_STREAMS':
      return 429;
    case 'HA_PEER':
    case 'ENGINE_APPLY_FAILED':
      return 502;
    case 'ENGINE_UNAVAILABLE':
    case 'HA_BUSY':
      return 503;
    case 'STORE_IO':
    case 'STORE_CORRUPT':
    case 'LAB_FAILED':
    case 'API_INTERNAL':
      return 500;
    default:
      // API_BAD_REQUEST, CONFIG_* field errors, STORE_INVALID_ARGUMENT, BACKUP_INVALID, CERTIFICATE_INVALID,
      // CERTIFICATE_PKCS12_ITERATIONS.
      return 400;
  }
}

export const badRequest = (field: string, message: string) => fieldError('API_BAD_REQUEST', field, message);
export const notFound = (what: string) => new ApplianceError('API_NOT_FOUND', `no ${what}`);
