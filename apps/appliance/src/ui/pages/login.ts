import { ApiError, api, setCsrfToken } from '../api.js';
import { h, replace } from '../dom.js';
import { createForm, type Form } from '../forms.js';
import { newPasswordField, passwordIssues } from '../password-field.js';
import { type Session, state } from '../state.js';

export function renderLogin(main: HTMLElement, done: () => void): void {
  const form = createForm({
    name: 'Log in',
    fields: [
      { name: 'username', label: 'User name', type: 'text', autocomplete: 'username' },
      { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' },
    ],
    initial: {},
    submitLabel: 'Log in',
    warnUnsaved: false,
    async onSubmit(f) {
      try {
        const session = await api.post<Session>('/session', f.value(), { quiet: true });
        setCsrfToken(session.csrfToken);
        state.session = session;
        done();
      } catch (error) {
        const message =
          error instanceof ApiError && error.code === 'AUTH_FAILED'
            ? 'Wrong user name or password.'
            : error instanceof Error
              ? error.message
              : String(error);
        f.setFormErrors([{ code: 'AUTH', message }]);
      }
    },
  });
  replace(
    main,
    h(
      'div',
      { class: 'login' },
      h('h1', {}, 'Sluice load balancer'),
      h('p', { class: 'muted' }, 'Log in to manage this appliance.'),
      form.element,
      h(
        'p',
        { class: 'muted' },
        "First start: user admin, with the password in the data directory's initial-password file.",
      ),
    ),
  );
  (form.element.querySelector('input') as HTMLInputElement).focus();
}

/** The new password by the model's rule, and the repeated one equal to it: what the form shows beside them. */
function check(f: Form, submitting = false) {
  const v = f.value();
  const issues = passwordIssues(v.new, 'new');
  if (submitting && v.new === undefined) issues.push({ code: 'REQUIRED', field: 'new', message: 'is required' });
  if ((v.confirm !== undefined || submitting) && v.confirm !== v.new) {
    issues.push({ code: 'MISMATCH', field: 'confirm', message: 'does not match the new password' });
  }
  f.showErrors(issues, '');
  return issues;
}

export function renderPasswordChange(main: HTMLElement, done: () => void): void {
  const form = createForm({
    name: 'Change password',
    fields: [
      { name: 'current', label: 'Current password', type: 'password', autocomplete: 'current-password' },
      newPasswordField('new', 'New password'),
      { name: 'confirm', label: 'New password again', type: 'password', autocomplete: 'new-password' },
    ],
    initial: {},
    submitLabel: 'Change password',
    // Nothing to keep: passwords are typed again, never held for later.
    warnUnsaved: false,
    onInput(f) {
      check(f);
    },
    async onSubmit(f) {
      const { confirm: _confirm, ...body } = f.value();
      if (check(f, true).length > 0) return;
      try {
        await api.post('/session/password', body, { quiet: true });
        const session = await api.get<Session>('/session');
        setCsrfToken(session.csrfToken);
        state.session = session;
        done();
      } catch (error) {
        if (error instanceof ApiError) f.setFormErrors(f.showErrors(error.all(), ''));
        else f.setFormErrors([{ code: 'ERROR', message: String(error) }]);
      }
    },
  });
  const first = state.session?.mustChangePassword;
  replace(
    main,
    h(
      'div',
      { class: 'login' },
      h('h1', {}, first ? 'Choose your password' : 'Change password'),
      first
        ? h(
            'p',
            { class: 'note' },
            'This is the first login with the initial password: choose your own before going on.',
          )
        : null,
      form.element,
    ),
  );
  (form.element.querySelector('input') as HTMLInputElement).focus();
}
