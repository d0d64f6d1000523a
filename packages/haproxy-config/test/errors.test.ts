import { describe, expect, it } from 'vitest';
import { HaproxyConfigError } from '../src/index.js';

describe('HaproxyConfigError', () => {
  it('carries a stable code, the field at fault and the cause', () => {
    const cause = new Error('EINVAL');
    const error = new HaproxyConfigError('HAPROXY_INVALID_FIELD', 'backends[0].servers[1].address is invalid', {
      field: 'backends[0].servers[1].address',
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('HaproxyConfigError');
    expect(error.code).toBe('HAPROXY_INVALID_FIELD');
    expect(error.field).toBe('backends[0].servers[1].address');
    expect(error.cause).toBe(cause);
  });

  it('has no cause unless given one', () => {
    expect('cause' in new HaproxyConfigError('HAPROXY_BINARY_MISSING', 'missing')).toBe(false);
  });
});
