import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/api/errors.js';
import { ApplianceError, type ApplianceErrorCode } from '../../src/errors.js';

describe('error codes to HTTP statuses', () => {
  it('maps the request faults to 4xx and the appliance faults to 5xx; an unknown code is the appliance fault', () => {
    const cases: [ApplianceErrorCode, number][] = [
      ['CONFIG_INVALID', 400],
      ['CERTIFICATE_PKCS12_ITERATIONS', 400],
      ['CONFIG_REJECTED', 422],
      ['AUTH_RATE_LIMITED', 429],
      ['HA_BUSY', 503],
      ['STORE_IO', 500],
    ];
    for (const [code, status] of cases) expect(statusOf(code), code).toBe(status);
    expect(statusOf('NO_SUCH_CODE' as ApplianceErrorCode)).toBe(500);
  });

  it('carries Retry-After as a declared property', () => {
    const error = new ApplianceError('AUTH_RATE_LIMITED', 'too many', { retryAfter: 7 });
    expect(error.retryAfter).toBe(7);
    expect(new ApplianceError('API_BAD_REQUEST', 'x').retryAfter).toBeUndefined();
  });
});
