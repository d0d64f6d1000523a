import { describe, expect, it } from 'vitest';
import { PASSWORD_MIN_LENGTH, PASSWORD_RULE, passwordProblem } from '../../src/model/password-rule.js';

describe('the password rule', () => {
  it('takes 12 characters or more, counted as a person counts them', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(12);
    expect(passwordProblem('correct horse')).toBeUndefined();
    expect(passwordProblem('twelve chars')).toBeUndefined();
    // Eleven characters, twelve UTF-16 units: still too short.
    expect(passwordProblem('ten chars 😀')).toBe('is too short: use at least 12 characters (this one has 11)');
    expect(passwordProblem('ten chars!')).toBe('is too short: use at least 12 characters (this one has 10)');
  });

  it('says what is wrong in words: missing, too long, not one line', () => {
    expect(passwordProblem(undefined)).toBe('is required');
    expect(passwordProblem('')).toBe('is required');
    expect(passwordProblem(42)).toBe('must be text');
    expect(passwordProblem('x'.repeat(256))).toBeUndefined();
    expect(passwordProblem('x'.repeat(257))).toBe('is too long: use at most 256 characters');
    expect(passwordProblem('a long password\twith a tab')).toBe(
      'must be one line without control characters (no tabs or line breaks)',
    );
  });

  it('is worded once for the forms, with the same number', () => {
    expect(PASSWORD_RULE).toBe('At least 12 characters, on one line; a few words make a good one.');
  });
});
