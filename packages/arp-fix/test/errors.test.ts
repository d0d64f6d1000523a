import { describe, expect, it } from 'vitest';
import { ArpFixError } from '../src/index.js';

describe('ArpFixError', () => {
  it('carries a stable code, the field at fault and the cause', () => {
    const cause = new Error('EINVAL');
    const error = new ArpFixError('ARPFIX_INVALID_FIELD', 'vips[0] is invalid', { field: 'vips[0]', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ArpFixError');
    expect(error.code).toBe('ARPFIX_INVALID_FIELD');
    expect(error.field).toBe('vips[0]');
    expect(error.cause).toBe(cause);
  });

  it('has no cause unless given one', () => {
    expect('cause' in new ArpFixError('ARPFIX_NOT_PERMITTED', 'missing')).toBe(false);
  });
});
