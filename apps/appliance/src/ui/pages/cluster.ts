import type { ClusterNodeStatus, ClusterStatus } from '../../model/cluster-status.js';
import { api } from '../api.js';
import { formatTime, h, replace, toast } from '../dom.js';

/** How often the table is read again while the page is open: the configuring node hears its followers every 10 s. */
const REFRESH_MS = 5000;

function bgpCell(row: ClusterNodeStatus): string {
  const bgp = row.bgp;
  if (bgp === undefined) return row.self ? 'no BGP part' : '—';
  return `${bgp.state}: ${bgp.announced} of ${bgp.vips} VIPs announced, ${bgp.established}/${bgp.sessions} sessions up`;
}

function stateCell(row: ClusterNodeStatus): HTMLElement {
  if (row.stale !== undefined) return h('span', { class: 'warn' }, `withdrawn (${row.stale})`);
  if (row.drained === true) return h('span', { class: 'warn' }, 'drained');
  if (row.error !== undefined) return h('span', { class: 'warn' }, `unreachable: ${row.error}`);
  if (row.lag !== undefined && row.lag > 0) return h('span', {}, `${row.lag} version(s) behind`);
  if (row.version === null) return h('span', { class: 'muted' }, 'not heard yet');
  return h('span', {}, 'in step');
}

function table(status: ClusterStatus): HTMLTableElement {
  return h(
    'table',
    { id: 'cluster-nodes' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Node', 'Address', 'Role', 'Runs version', 'Last heard', 'State', 'BGP'].map((title) =>
          h('th', { scope: 'col' }, title),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      status.nodes.map((row) =>
        h(
          'tr',
          { 'data-node': row.name, ...(row.self ? { class: 'self' } : {}) },
          h('td', {}, row.name, row.self ? h('span', { class: 'muted' }, ' (this node)') : null),
          h('td', {}, row.address),
          h('td', {}, row.role === 'configuring' ? 'configuring' : 'follower'),
          h('td', {}, row.version === null ? '—' : String(row.version)),
          h('td', {}, row.lastHeard === undefined ? 'never' : formatTime(row.lastHeard)),
          h('td', {}, stateCell(row)),
          h('td', {}, bgpCell(row)),
        ),
      ),
    ),
  );
}

/**
 * The ECMP cluster: every node, what it runs and announces, and this node's drain. In a
 * pair the page says so (the Heartbeat settings and the status bar are the pair's view).
 */
export async function renderCluster(main: HTMLElement): Promise<() => void> {
  let stopped = false;
  const draw = (status: ClusterStatus) => {
    if (status.mode !== 'ecmp') {
      replace(
        main,
        h('h1', {}, 'Cluster'),
        h(
          'p',
          { id: 'cluster-mode' },
          'This appliance runs in pair mode: two nodes, one active, chosen by the heartbeat. An ECMP cluster (cluster.mode: ecmp) lists its nodes here.',
        ),
      );
      return;
    }
    const here =
      status.role === 'follower'
        ? `This node, ${status.node}, follows ${status.configuringNode}: edit the configuration there.`
        : status.role === 'configuring'
          ? `This node, ${status.node}, is where the cluster's configuration is edited; it sends each version to every follower.`
          : `This node's name, ${status.node}, is not in cluster.nodes: it takes no versions (set SLUICE_NODE_NAME).`;
    const action = (path: '/cluster/drain' | '/cluster/undrain', question: string) => async () => {
      if (!confirm(question)) return;
      try {
        draw(await api.post<ClusterStatus>(path));
        toast(path === '/cluster/drain' ? 'This node is drained.' : 'This node announces its VIPs again.');
      } catch (error) {
        toast((error as Error).message, true);
      }
    };
    replace(
      main,
      h('h1', {}, 'Cluster'),
      h('p', { id: 'cluster-mode' }, `ECMP cluster of ${status.nodes.length} nodes. ${here}`),
      table(status),
      h(
        'p',
        { class: 'actions' },
        status.hold.drain
          ? h(
              'button',
              {
                type: 'button',
                class: 'primary admin-only',
                id: 'cluster-undrain',
                onclick: action('/cluster/undrain', 'Announce this node’s VIPs again?'),
              },
              'Undrain this node',
            )
          : h(
              'button',
              {
                type: 'button',
                class: 'danger admin-only',
                id: 'cluster-drain',
                onclick: action(
                  '/cluster/drain',
                  'Drain this node? Routers move new flows away, then its VIPs are withdrawn. It stays drained across restarts.',
                ),
              },
              'Drain this node',
            ),
      ),
      h(
        'p',
        { class: 'muted' },
        'A follower that runs an older version than the configuring node for longer than cluster.maxLagSeconds, or whose apply failed, withdraws its VIPs until it is in step. One that hears nothing from the configuring node keeps serving.',
      ),
    );
  };
  draw(await api.get<ClusterStatus>('/cluster'));
  const timer = setInterval(() => {
    api
      .get<ClusterStatus>('/cluster', { quiet: true })
      .then((status) => {
        // A confirm dialog open, or a button in focus, is not redrawn under the admin's hand.
        if (!stopped && !main.contains(document.activeElement)) draw(status);
      })
      .catch(() => undefined);
  }, REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
