import { PASSWORD_RULE, passwordProblem } from '../model/password-rule.js';
import type { ApiIssue } from './api.js';
import type { FieldSpec } from './forms.js';

/** A field for a new password, with the model's rule as its help (and what else the form says of it). */
export const newPasswordField = (name: string, label: string, more = ''): FieldSpec => ({
  name,
  label,
  type: 'password',
  autocomplete: 'new-password',
  help: more === '' ? PASSWORD_RULE : `${PASSWORD_RULE} ${more}`,
});

/**
 * The rule's verdict on a typed password, as the field's error: the browser checks what
 * the API would (the same function), so the page never says one thing and the API another.
 * Nothing for an empty field (not typed yet, or "unchanged" when editing a user).
 */
export function passwordIssues(value: unknown, field: string): ApiIssue[] {
  if (value === undefined || value === '') return [];
  const problem = passwordProblem(value);
  return problem === undefined ? [] : [{ code: 'PASSWORD_RULE', field, message: problem }];
}
