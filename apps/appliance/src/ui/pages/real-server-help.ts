import { h, replace } from '../dom.js';
import { loadConfig } from '../state.js';

const code = (text: string) => h('pre', {}, h('code', {}, text));

/**
 * What a real server needs for each forwarding method: the ARP problem of Direct Routing
 * (and its fix with sluice-arp-fix), the gateway of NAT. Commands name this appliance's
 * own DR VIPs and ports.
 */
export async function renderRealServerHelp(main: HTMLElement): Promise<void> {
  const { config } = await loadConfig();
  const dr = config.layer4.filter((s) => s.forwarding === 'dr' || s.forwarding === 'tun');
  const vips = [...new Set(dr.map((s) => s.vip))];
  const sample = vips[0] ?? '192.0.2.10';
  const port = dr[0]?.ports[0];
  const portArg = typeof port === 'number' ? ` --port ${port}` : '';
  const vipArgs = (vips.length > 0 ? vips : [sample]).map((v) => `--vip ${v}`).join(' ');
  replace(
    main,
    h('h1', {}, 'Real servers: what each mode needs'),
    h('h2', { id: 'arp' }, 'Direct Routing: the ARP problem'),
    h(
      'p',
      {},
      'In DR (and TUN) mode the balancer passes each packet for the VIP unchanged to a real server, which answers the client itself. ' +
        'So every real server must accept packets for the VIP — hold it on its loopback — without answering ARP (or IPv6 neighbour solicitations) for it. ' +
        'A real server that answers ARP for the VIP takes the VIP away from the balancer for some clients; one that does not hold it drops the packets, ' +
        'and the connection waits in SYN_RECV (Reports highlight those).',
    ),
    vips.length > 0
      ? h('p', {}, `This appliance's DR/TUN VIPs: ${vips.join(', ')}.`)
      : h('p', { class: 'muted' }, 'No DR or TUN service yet: the commands below use an example VIP.'),
    h('h3', {}, 'Linux real server, with sluice-arp-fix'),
    code(
      [
        `sluice-arp-fix inspect ${vipArgs}${portArg}   # what is wrong, with the exact remedy (exit 1 when something is)`,
        `sluice-arp-fix apply   ${vipArgs}            # arp_ignore=1, arp_announce=2, the VIP on lo (recorded)`,
        `sluice-arp-fix persist ${vipArgs}            # the same after a reboot (sysctl.d and a systemd unit)`,
        'sluice-arp-fix revert                     # undo exactly what was changed',
      ].join('\n'),
    ),
    h('h3', {}, 'Linux real server, by hand'),
    code(
      [
        'sysctl -w net.ipv4.conf.all.arp_ignore=1',
        'sysctl -w net.ipv4.conf.all.arp_announce=2',
        `ip addr add ${sample}/32 dev lo`,
      ].join('\n'),
    ),
    h('h3', {}, 'Windows real server'),
    code(`sluice-arp-fix windows --vip ${sample} --loopback Loopback --lan "Local Area Connection" --format ps1`),
    h(
      'p',
      {},
      'prints the PowerShell that adds a loopback adapter holding the VIP and sets weak host send/receive on the adapters.',
    ),
    h('h2', { id: 'nat' }, 'NAT: the balancer is the gateway'),
    h(
      'p',
      {},
      "In NAT mode the balancer rewrites each request's destination and must see the reply to rewrite it back: every real server's default gateway must be the balancer's internal address " +
        '(in an HA pair, a floating IP on that network). Otherwise replies bypass the balancer and clients wait. Their own outbound traffic (updates, DNS) needs a route of its own: the auto-NAT of the Network page is stored but not applied yet by this version.',
    ),
    h('h2', { id: 'snat' }, 'Layer 7 (SNAT)'),
    h(
      'p',
      {},
      "Nothing changes on the real servers: HAProxy connects to them from the balancer's address; HTTP requests carry the client's address in X-Forwarded-For. " +
        'With TPROXY the real servers see the client address and must route their replies through the balancer.',
    ),
  );
}
