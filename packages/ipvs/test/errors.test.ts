import { describe, expect, it } from 'vitest';
import { IpvsError } from '../src/index.js';

describe('IpvsError', () => {
  it('carries a stable code, the field at fault and the cause', () => {
    const cause = new Error('EINVAL');
    const error = new IpvsError('IPVS_INVALID_FIELD', 'port 0 needs a firewall-mark service', { field: 'port', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('IpvsError');
    expect(error.code).toBe('IPVS_INVALID_FIELD');
    expect(error.field).toBe('port');
    expect(error.cause).toBe(cause);
  });

  it('has no cause unless given one', () => {
    expect('cause' in new IpvsError('IPVS_UNAVAILABLE', 'modprobe ip_vs')).toBe(false);
  });
});
