import { describe, expect, it } from 'vitest';
import { EXPIRY_WARNING_DAYS, expiryOf, expiryWarning } from '../../src/model/certificate.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const warning = (validTo: string) => expiryWarning('site', validTo, expiryOf(validTo, NOW));
const inDays = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString();

describe('certificate expiry', () => {
  it(`is valid past ${EXPIRY_WARNING_DAYS} days, expiring within them, expired at its end`, () => {
    expect(expiryOf(inDays(365), NOW)).toEqual({ state: 'valid', daysLeft: 365 });
    expect(expiryOf(inDays(EXPIRY_WARNING_DAYS + 0.5), NOW).state).toBe('valid');
    expect(expiryOf(inDays(EXPIRY_WARNING_DAYS), NOW)).toEqual({ state: 'expiring', daysLeft: EXPIRY_WARNING_DAYS });
    expect(expiryOf(inDays(0.5), NOW)).toEqual({ state: 'expiring', daysLeft: 0 });
    expect(expiryOf(inDays(0), NOW).state).toBe('expired');
    expect(expiryOf(inDays(-3), NOW)).toEqual({ state: 'expired', daysLeft: -3 });
  });

  it('says nothing while a certificate has long to run, and in words when it nears or passes its end', () => {
    expect(warning(inDays(200))).toBeUndefined();
    expect(warning(inDays(12))).toBe(
      'Certificate site expires in 12 days (2026-06-13): renew it and upload the new one.',
    );
    expect(warning(inDays(1))).toBe('Certificate site expires in 1 day (2026-06-02): renew it and upload the new one.');
    expect(warning(inDays(0.2))).toBe(
      'Certificate site expires within a day (2026-06-01): renew it and upload the new one.',
    );
    expect(warning(inDays(-2))).toBe('Certificate site expired on 2026-05-30: clients refuse it. Upload a new one.');
  });
});
