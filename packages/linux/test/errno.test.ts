import { describe, expect, it } from 'vitest';
import { errnoName } from '../src/errno.js';

describe('errnoName', () => {
  it.each([
    [1, 'EPERM'],
    [2, 'ENOENT'],
    [17, 'EEXIST'],
    [111, 'ECONNREFUSED'],
  ])('names errno %i %s', (errno, name) => {
    expect(errnoName(errno)).toBe(name);
  });

  it('says the number where there is no name', () => {
    expect(errnoName(4095)).toBe('errno 4095');
    expect(errnoName(-1)).toBe('errno -1');
  });
});
