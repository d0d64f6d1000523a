import type { ClusterStatus } from '../model/cluster-status.js';
import { api, onAuthProblem, setCsrfToken } from './api.js';
import { h, replace, toast } from './dom.js';
import { currentRoute, go, routeTo } from './nav.js';
import { checkNetworkTrial } from './network-trial.js';
import { renderApiReference } from './pages/api-reference.js';
import { renderCertificate } from './pages/certificate.js';
import { renderCluster } from './pages/cluster.js';
import { renderResourceEdit, renderResourceList } from './pages/config.js';
import { renderImport } from './pages/import.js';
import { renderLogin, renderPasswordChange } from './pages/login.js';
import { renderLogs } from './pages/logs.js';
import { renderMaintenance } from './pages/maintenance.js';
import { renderOverview } from './pages/overview.js';
import { renderRealServerHelp } from './pages/real-server-help.js';
import { renderReports } from './pages/reports.js';
import { renderAdministration, renderSingleton } from './pages/settings.js';
import { needsWizard } from './pages/wizard-gate.js';
import { RESOURCES, resourceById } from './resources.js';
import { type Session, state, stopStatus } from './state.js';
import { renderStatusBar } from './status-bar.js';
import { mayLeave } from './unsaved.js';

const root = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const bar = document.getElementById('statusbar') as HTMLElement;
let cleanup: (() => void) | undefined;
let stopBar: (() => void) | undefined;

/** Title, route, indented, shown only in an ECMP cluster. */
const MENU: [string, string, boolean?, 'ecmp'?][] = [
  ['System overview', 'overview'],
  ['Cluster', 'cluster', false, 'ecmp'],
  ['Edit configuration', ''],
  ...RESOURCES.map((r): [string, string, boolean] => [r.title, `config/${r.id}`, true]),
  ['Heartbeat', 'config/heartbeat', true],
  ['Network', 'config/network', true],
  ['Administration', 'config/administration', true],
  ['Setup wizard', 'wizard', true],
  ['Reports', 'reports'],
  ['Logs', 'logs'],
  ['Maintenance', 'maintenance'],
  ['Import configuration', 'import'],
  ['HTTPS certificate', 'certificate'],
  ['Real server set-up', 'real-servers'],
  ['Help', ''],
  ['REST API', 'api', true],
];

/** The cluster mode as last read: the Cluster page is in the menu only in an ECMP cluster. */
let clusterMode: string | undefined;

/** Read at every page change: a saved configuration may have changed the mode. */
async function refreshClusterMode(): Promise<void> {
  const mode = await api
    .get<ClusterStatus>('/cluster', { quiet: true })
    .then((status) => status.mode)
    .catch(() => undefined);
  if (mode !== clusterMode) {
    clusterMode = mode;
    if (state.session !== undefined) drawNav();
  }
}

function drawNav(): void {
  const route = currentRoute().join('/');
  replace(
    nav,
    MENU.filter(([, , , only]) => only === undefined || only === clusterMode).map(([title, path, sub]) =>
      path === ''
        ? h('h2', {}, title)
        : h(
            'a',
            {
              href: `#/${path}`,
              class: sub ? 'sub' : '',
              'aria-current': route === path || route.startsWith(`${path}/`) ? 'page' : undefined,
            },
            title,
          ),
    ),
  );
}

/** A read-only user sees no controls that would change anything (the API refuses them anyway). */
function showRole(role: string | undefined): void {
  if (role === undefined) delete document.body.dataset.role;
  else document.body.dataset.role = role;
}

function shell(on: boolean): void {
  showRole(on ? state.session?.role : undefined);
  if (!on) {
    nav.replaceChildren();
    stopBar?.();
    stopBar = undefined;
    stopStatus();
    bar.replaceChildren(h('span', { class: 'brand' }, 'Sluice load balancer'));
    return;
  }
  drawNav();
  void refreshClusterMode();
  stopBar ??= renderStatusBar(bar, logout);
}

async function logout(): Promise<void> {
  if (!mayLeave()) return;
  await api.del('/session').catch(() => undefined);
  state.session = undefined;
  setCsrfToken(undefined);
  go('/login');
}

async function route(): Promise<void> {
  cleanup?.();
  cleanup = undefined;
  // Each route renders into its own element: a page still loading when the user moves on
  // (or re-rendering after an action) then changes a detached element, never the new page.
  const main = h('div');
  root.replaceChildren(main);
  const [page = '', ...rest] = currentRoute();
  if (state.session === undefined) {
    try {
      const session = await api.get<Session>('/session', { quiet: true });
      state.session = session;
      setCsrfToken(session.csrfToken);
    } catch {
      shell(false);
      renderLogin(main, () => go('/'));
      return;
    }
  }
  if (state.session.mustChangePassword) {
    shell(false);
    renderPasswordChange(main, () => go('/'));
    return;
  }
  if (page === '' || page === 'login') {
    go((await needsWizard()) ? '/wizard' : '/overview');
    return;
  }
  shell(true);
  // A network change waiting for confirmation shows on whichever page the admin is.
  void checkNetworkTrial();
  try {
    switch (page) {
      case 'overview':
        cleanup = renderOverview(main);
        break;
      case 'wizard':
        // The wizard checks answers with the configuration module (zod): loaded when needed, not with the first page.
        await (await import('./pages/wizard.js')).renderWizard(main);
        break;
      case 'password':
        renderPasswordChange(main, () => go('/overview'));
        break;
      case 'cluster':
        cleanup = await renderCluster(main);
        break;
      case 'reports':
        cleanup = await renderReports(main);
        break;
      case 'logs':
        cleanup = await renderLogs(main);
        break;
      case 'maintenance':
        await renderMaintenance(main);
        break;
      case 'import':
        await renderImport(main);
        break;
      case 'certificate':
        await renderCertificate(main);
        break;
      case 'real-servers':
        await renderRealServerHelp(main);
        break;
      case 'api':
        await renderApiReference(main);
        break;
      case 'config': {
        const [kindId = '', action, key] = rest;
        if (kindId === 'heartbeat' || kindId === 'network') await renderSingleton(main, kindId);
        else if (kindId === 'administration') await renderAdministration(main);
        else {
          const kind = resourceById(kindId);
          if (kind === undefined) go(routeTo('config', 'layer4'));
          else if (action === 'new') await renderResourceEdit(main, kind, undefined);
          else if (action === 'edit' && key !== undefined) await renderResourceEdit(main, kind, key);
          else await renderResourceList(main, kind);
        }
        break;
      }
      default:
        replace(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/overview' }, 'System overview')));
    }
  } catch (error) {
    replace(main, h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, (error as Error).message));
  }
  const heading = main.querySelector('h1');
  if (heading) document.title = `${heading.textContent} · Sluice`;
}

onAuthProblem((code) => {
  if (code === 'AUTH_REQUIRED') {
    if (state.session !== undefined) toast('Your session has ended: log in again.', true);
    state.session = undefined;
    go('/login');
  } else if (code === 'AUTH_PASSWORD_CHANGE_REQUIRED' && state.session) {
    state.session.mustChangePassword = true;
    go('/password');
  }
});

// A link, Back or a typed address leaving a page with unsaved edits asks first; staying puts the address back.
let shown = location.href;
window.addEventListener('hashchange', () => {
  if (!mayLeave()) {
    history.replaceState(history.state, '', shown);
    return;
  }
  shown = location.href;
  route().catch((error) => toast(String(error), true));
});
route().catch((error) => toast(String(error), true));

// The skip link must not change the hash (that is the router's): it moves the focus instead.
document.getElementById('skip')?.addEventListener('click', (event) => {
  event.preventDefault();
  root.focus();
});
