import { describe, expect, it } from 'vitest';
import { HealthError } from '../src/index.js';

describe('HealthError', () => {
  it('carries a stable code, the field at fault and the cause', () => {
    const cause = new Error('EINVAL');
    const error = new HealthError('HEALTH_INVALID_TARGET', 'targets[3].timeout is invalid', {
      field: 'targets[3].timeout',
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('HealthError');
    expect(error.code).toBe('HEALTH_INVALID_TARGET');
    expect(error.field).toBe('targets[3].timeout');
    expect(error.cause).toBe(cause);
  });

  it('has no cause unless given one', () => {
    expect('cause' in new HealthError('HEALTH_CHECK_FAILED_TO_START', 'missing')).toBe(false);
  });
});
