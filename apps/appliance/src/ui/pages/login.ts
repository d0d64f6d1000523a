import { ApiError, api, setCsrfToken } from '../api.js';
import { h, replace } from '../dom.js';
import { createForm } from '../forms.js';
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

export function renderPasswordChange(main: HTMLElement, done: () => void): void {
  const form = createForm({
    name: 'Change password',
    fields: [
      { name: 'current', label: 'Current password', type: 'password', autocomplete: 'current-password' },
      {
        name: 'new',
        label: 'New password',
        type: 'password',
        autocomplete: 'new-password',
        help: 'At least 12 characters.',
      },
      { name: 'confirm', label: 'New password again', type: 'password', autocomplete: 'new-password' },
    ],
    initial: {},
    submitLabel: 'Change password',
    onInput(f) {
      const v = f.value();
      const mismatch = v.confirm !== undefined && v.confirm !== v.new;
      f.showErrors(
        mismatch ? [{ code: 'MISMATCH', field: 'confirm', message: 'does not match the new password' }] : [],
        '',
      );
    },
    async onSubmit(f) {
      const { confirm, ...body } = f.value();
      if (confirm !== body.new) {
        f.showErrors([{ code: 'MISMATCH', field: 'confirm', message: 'does not match the new password' }], '');
        return;
      }
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
