/**
 * The one rule for a new password, wherever one is chosen: the first-login change, the
 * password page, a user added or reset under Administration and the API behind them. The
 * forms show `PASSWORD_RULE` beside the field and check `passwordProblem` as the user
 * types; the API refuses with the same message. Plain code without zod, so the first
 * page's bundle (the login) stays small.
 *
 * Twelve characters: an administrator's password guards every service of the balancer, and
 * a length is easier to meet (a few words) than a mix of symbols, which is not asked for.
 * A password stored before the rule (shorter) still logs in: only a new one is judged.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** The rule in words, as the forms show it. */
export const PASSWORD_RULE = `At least ${PASSWORD_MIN_LENGTH} characters, on one line; a few words make a good one.`;

/** What is wrong with a new password, worded for the person choosing it; undefined when it is good. */
export function passwordProblem(password: unknown): string | undefined {
  if (password === undefined || password === '') return 'is required';
  if (typeof password !== 'string') return 'must be text';
  // Characters as a person counts them (an emoji is one), not UTF-16 units.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return `is too short: use at least ${PASSWORD_MIN_LENGTH} characters (this one has ${length})`;
  }
  if (length > PASSWORD_MAX_LENGTH) return `is too long: use at most ${PASSWORD_MAX_LENGTH} characters`;
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(password)) {
    return 'must be one line without control characters (no tabs or line breaks)';
  }
  return undefined;
}
