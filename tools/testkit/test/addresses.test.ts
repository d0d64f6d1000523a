import { describe, expect, it } from 'vitest';
import { documentationCidr, isDocumentationAddress } from '../src/addresses.js';
import { TestkitError } from '../src/errors.js';

describe('documentation address guard', () => {
  it.each(['192.0.2.1', '198.51.100.255', '203.0.113.7', '2001:db8::1', '2001:db8:ffff::2'])('accepts %s', (a) => {
    expect(isDocumentationAddress(a)).toBe(true);
  });

  it.each(['10.0.0.1', '192.168.1.1', '8.8.8.8', '127.0.0.1', '2001:db9::1', 'fe80::1', 'not-an-ip', ''])(
    'refuses %s',
    (a) => {
      expect(isDocumentationAddress(a)).toBe(false);
    },
  );

  it('parses address/prefix and defaults to a host prefix', () => {
    expect(documentationCidr('192.0.2.1/24')).toEqual({ address: '192.0.2.1', prefix: 24, family: 4 });
    expect(documentationCidr('2001:db8::1')).toEqual({ address: '2001:db8::1', prefix: 128, family: 6 });
  });

  it.each(['10.1.2.3/8', '192.0.2.1/33', '192.0.2.1/24/1', '2001:db8::1/129', '192.0.2.1/x'])(
    'rejects %s with a coded error',
    (cidr) => {
      try {
        documentationCidr(cidr);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(TestkitError);
        expect((error as TestkitError).code).toBe('TESTKIT_ADDRESS_NOT_DOCUMENTATION');
      }
    },
  );
});
