import type { ApplianceConfig } from '../../model/schema.js';
import { ApiError, api, seg } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { createForm, type FieldSpec } from '../forms.js';
import { checkNetworkTrial } from '../network-trial.js';
import { passwordIssues } from '../password-field.js';
import { administrationFields, heartbeatFields, networkFields, userFields } from '../resources.js';
import { loadConfig } from '../state.js';
import { webPortsNotice } from '../web-ports.js';
import { liveValidation, showApiError, type WriteResult } from './config.js';

type Item = Record<string, unknown>;

interface SingletonPage {
  title: string;
  intro: string;
  key: 'heartbeat' | 'network' | 'administration';
  fields: FieldSpec[];
  initial: (config: ApplianceConfig) => Item;
}

const PAGES: Record<string, SingletonPage> = {
  heartbeat: {
    title: 'Heartbeat',
    intro:
      'The HA pair: the peer, the links heartbeats travel on, the shared key, ping nodes, failback, the timers, the announcements after a takeover and the connection sync. Both nodes use these settings.',
    key: 'heartbeat',
    fields: heartbeatFields,
    initial: (c) =>
      (c.heartbeat as Item | undefined) ?? { enabled: false, links: [], pingNodes: [], autoFailback: true },
  },
  network: {
    title: 'Network',
    intro:
      "This node's own network: interface addresses, gateways, routes, DNS, host name and time servers, and the NAT-mode auto-NAT. Where the appliance manages this host's network (SLUICE_HOST_NETWORK=manage, as on the appliance image) they are applied at once and at every boot; a change of addresses, gateways or routes is rolled back after a timeout (two minutes unless set otherwise) unless you keep it.",
    key: 'network',
    fields: networkFields,
    initial: (c) => c.network as unknown as Item,
  },
};

export async function renderSingleton(main: HTMLElement, id: string): Promise<void> {
  const page = PAGES[id];
  if (page === undefined) return;
  const { version, config } = await loadConfig();
  const form = createForm({
    name: page.title,
    fields: page.fields,
    initial: page.initial(config),
    submitLabel: 'Apply changes',
    onInput: liveValidation(config, page.key, (candidate, value) => {
      candidate[page.key] = value;
    }),
    async onSubmit(f) {
      const put = (query: Record<string, string> = {}) =>
        api.put<WriteResult>(`/${page.key}`, f.value(), { version, query });
      try {
        let result: WriteResult;
        try {
          result = await put();
        } catch (error) {
          // The change removes the address this page came in on: only with the admin's word.
          if (!(error instanceof ApiError && error.code === 'NETWORK_ADDRESS_IN_USE')) throw error;
          if (!confirm(`${error.message}\n\nApply it anyway?`)) return;
          result = await put({ addressLoss: 'accept' });
        }
        toast(`Saved as configuration version ${result.version}`);
        await renderSingleton(main, id);
        if (page.key === 'network') await checkNetworkTrial(result.version);
      } catch (error) {
        showApiError(f, error, page.key);
      }
    },
  });
  replace(main, h('h1', {}, page.title), h('p', { class: 'muted' }, page.intro), form.element);
}

/**
 * Administration: the web ports and the users (who log in here and with the API). A user
 * added, changed or deleted redraws the page; `kept`: the ports form's unsaved edits, put back.
 */
export async function renderAdministration(main: HTMLElement, kept?: Record<string, string | boolean>): Promise<void> {
  const { version, config } = await loadConfig();
  const { users: _users, ...ports } = config.administration;
  const listening = await webPortsNotice(ports);
  const portsForm = createForm({
    name: 'Web interface ports',
    fields: administrationFields,
    initial: ports,
    submitLabel: 'Apply ports',
    onInput: liveValidation(config, 'administration', (candidate, value) => {
      candidate.administration = { ...value, users: config.administration.users };
    }),
    async onSubmit(f) {
      try {
        const result = await api.put<WriteResult>('/administration', f.value(), { version });
        toast(
          `Saved as configuration version ${result.version}; the new ports take effect when the appliance restarts`,
        );
        await renderAdministration(main);
      } catch (error) {
        showApiError(f, error, 'administration');
      }
    },
  });
  const slot = h('div');
  const openUser = (username: string | undefined) => {
    const existing = config.administration.users.find((u) => u.username === username);
    const form = createForm({
      name: username ? `user ${username}` : 'new user',
      fields: username ? userFields.filter((f) => f.name !== 'username') : userFields,
      // Never the password hash: the page holds no secrets.
      initial: existing ? { role: existing.role } : { role: 'admin' },
      submitLabel: username ? 'Apply' : 'Add user',
      onCancel: () => slot.replaceChildren(),
      // The password rule as the user types, and before anything is sent: the API's own.
      onInput: (f) => f.showErrors(passwordIssues(f.value().password, 'password'), ''),
      async onSubmit(f) {
        const weak = passwordIssues(f.value().password, 'password');
        f.showErrors(weak, '');
        if (weak.length > 0) return;
        try {
          const result = username
            ? await api.put<WriteResult>(`/users/${seg(username)}`, f.value(), { version })
            : await api.post<WriteResult>('/users', f.value(), { version });
          toast(`Saved as configuration version ${result.version}`);
          await renderAdministration(main, portsForm.edits());
        } catch (error) {
          showApiError(f, error, '');
        }
      },
    });
    slot.replaceChildren(h('h3', {}, username ? `Edit user ${username}` : 'New user'), form.element);
    (form.element.querySelector('input, select') as HTMLElement | null)?.focus();
  };
  replace(
    main,
    h('h1', {}, 'Administration'),
    h('h2', {}, 'Web interface'),
    listening,
    portsForm.element,
    h('h2', {}, 'Users'),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'User'), h('th', {}, 'Role'), h('th', {}, 'Actions'))),
      h(
        'tbody',
        {},
        config.administration.users.map((u) =>
          h(
            'tr',
            {},
            h('td', {}, u.username),
            h('td', {}, u.role),
            h(
              'td',
              {},
              h(
                'div',
                { class: 'actions' },
                h(
                  'button',
                  { type: 'button', 'aria-label': `Edit user ${u.username}`, onclick: () => openUser(u.username) },
                  'Edit',
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    'aria-label': `Delete user ${u.username}`,
                    onclick: async () => {
                      if (!confirm(`Delete user ${u.username}?`)) return;
                      try {
                        await api.del(`/users/${seg(u.username)}`, { version });
                        await renderAdministration(main, portsForm.edits());
                      } catch (error) {
                        toast(String((error as Error).message), true);
                      }
                    },
                  },
                  'Delete',
                ),
              ),
            ),
          ),
        ),
      ),
    ),
    h('p', {}, h('button', { type: 'button', onclick: () => openUser(undefined) }, 'Add user')),
    slot,
  );
  if (kept !== undefined) portsForm.restore(kept);
}
