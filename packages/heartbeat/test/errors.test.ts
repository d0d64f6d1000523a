import { describe, expect, it } from 'vitest';
import { HeartbeatError } from '../src/index.js';

describe('HeartbeatError', () => {
  it('carries a stable code, the field at fault and the cause', () => {
    const cause = new Error('EINVAL');
    const error = new HeartbeatError('HEARTBEAT_INVALID_CONFIG', 'links[0].address is invalid', {
      field: 'links[0].address',
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('HeartbeatError');
    expect(error.code).toBe('HEARTBEAT_INVALID_CONFIG');
    expect(error.field).toBe('links[0].address');
    expect(error.cause).toBe(cause);
  });

  it('has no cause unless given one', () => {
    expect('cause' in new HeartbeatError('HEARTBEAT_LINK_FAILED', 'missing')).toBe(false);
  });
});
