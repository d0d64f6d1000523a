/**
 * `sluice-appliance network ...`: the appliance's own network from the console, for when
 * no web UI is reachable yet (the manual's `ip addr add` step, made permanent). Each change
 * is a new configuration version through the daemon's API, as the web UI's Network page
 * makes it, so it is validated, kept in the history, applied to the host and, where it could
 * cut the admin off, rolled back unless confirmed (`network confirm`).
 */

import { isIPv4 } from '../model/addresses.js';
import type { HostNetworkStatus } from '../model/host-network-status.js';
import type { NetworkSettings } from '../model/schema.js';
import type { DaemonClient } from './client.js';
import { CLIENT_OPTIONS_HELP, type CommandContext, type CommandSpec } from './command.js';
import { CliError, EXIT } from './io.js';

type Network = Partial<NetworkSettings> & Pick<NetworkSettings, 'interfaces' | 'defaultGateway'>;

const USAGE = `network show | address IFACE [CIDR...] [--gateway ADDR] | gateway ADDR|none [--ipv6]
        | route add DEST GATEWAY [--interface IFACE] [--metric N] | route del DEST
        | dns [SERVER...] [--search DOMAIN]... | ntp [SERVER...] | hostname NAME | confirm
  show       the network settings and what this host applied of them
  address    set IFACE's addresses (replacing its others); none given: IFACE is no longer managed
             --gateway ADDR also sets the default gateway of ADDR's family
  gateway    set the default gateway (its family by the address); "none" removes it (--ipv6: the IPv6 one)
  route      add or remove a static route
  dns        set the name servers (none given: none) and, with --search, the search domains
  ntp        set the time servers (none given: the system's defaults)
  hostname   set the host name (RFC 1123)
  confirm    keep a change of addresses, gateways or routes (otherwise rolled back when its time runs out)
  --yes      with a change: do not fail when it removes the address this command came in on
${CLIENT_OPTIONS_HELP}`;

/** What `network show` prints. */
export function describeNetwork(network: Network, status: HostNetworkStatus): string {
  const lines = [
    ...network.interfaces.map((nic) => `${nic.name}: ${nic.addresses.join(' ') || '(no addresses)'}`),
    `default gateway: ${[network.defaultGateway.ipv4, network.defaultGateway.ipv6].filter(Boolean).join(', ') || 'none'}`,
    ...(network.routes ?? []).map(
      (r) =>
        `route ${r.destination} via ${r.gateway}${r.interface ? ` dev ${r.interface}` : ''}${r.metric === undefined ? '' : ` metric ${r.metric}`}`,
    ),
    `dns: ${network.dns?.servers.join(' ') || 'none'}${network.dns?.searchDomains.length ? ` (search ${network.dns.searchDomains.join(' ')})` : ''}`,
    `ntp: ${network.ntpServers?.join(' ') || 'system defaults'}`,
    `hostname: ${network.hostname ?? '(unchanged)'}`,
    status.detail,
    ...status.notes.map((note) => `  ! ${note}`),
  ];
  if (status.trial) {
    lines.push(
      `version ${status.trial.version} is rolled back to version ${status.trial.restoreVersion}'s settings in ${status.trial.secondsLeft} s unless confirmed: sluice-appliance network confirm`,
    );
  }
  return lines.join('\n');
}

function usage(message: string): never {
  throw new CliError(EXIT.usage, `${message}\nusage: sluice-appliance ${USAGE.split('\n')[0]}`, 'CLI_USAGE');
}

/** The change a command line asks for, made to a copy of the current network settings. */
export function changeNetwork(network: Network, args: readonly string[], values: CommandContext['values']): Network {
  const [what, ...rest] = args;
  const next: Network = structuredClone(network);
  switch (what) {
    case 'address': {
      const [name, ...cidrs] = rest;
      if (name === undefined) usage('network address needs an interface');
      const others = next.interfaces.filter((nic) => nic.name !== name);
      next.interfaces = cidrs.length === 0 ? others : [...others, { name, addresses: cidrs }];
      if (typeof values.gateway === 'string') {
        next.defaultGateway = { ...next.defaultGateway, [isIPv4(values.gateway) ? 'ipv4' : 'ipv6']: values.gateway };
      }
      return next;
    }
    case 'gateway': {
      const [gateway] = rest;
      if (gateway === undefined || rest.length > 1) usage('network gateway needs one address, or "none"');
      const key = gateway === 'none' ? (values.ipv6 === true ? 'ipv6' : 'ipv4') : isIPv4(gateway) ? 'ipv4' : 'ipv6';
      const { [key]: _old, ...kept } = next.defaultGateway;
      next.defaultGateway = gateway === 'none' ? kept : { ...kept, [key]: gateway };
      return next;
    }
    case 'route': {
      const [action, destination, gateway] = rest;
      const routes = (next.routes ?? []).filter((r) => r.destination !== destination);
      if (action === 'del' && destination !== undefined && rest.length === 2) {
        if (routes.length === (next.routes ?? []).length) usage(`no route to ${destination}`);
        next.routes = routes;
        return next;
      }
      if (action !== 'add' || destination === undefined || gateway === undefined || rest.length !== 3) {
        usage('network route add DEST GATEWAY [--interface IFACE] [--metric N] | route del DEST');
      }
      const metric = values.metric === undefined ? undefined : Number(values.metric);
      if (metric !== undefined && !Number.isInteger(metric)) usage('--metric must be a whole number');
      next.routes = [
        ...routes,
        {
          destination,
          gateway,
          ...(typeof values.interface === 'string' ? { interface: values.interface } : {}),
          ...(metric === undefined ? {} : { metric }),
        },
      ];
      return next;
    }
    case 'dns': {
      const search = (values.search as string[] | undefined) ?? next.dns?.searchDomains ?? [];
      next.dns = { servers: [...rest], searchDomains: search };
      return next;
    }
    case 'ntp':
      next.ntpServers = [...rest];
      return next;
    case 'hostname':
      if (rest.length !== 1) usage('network hostname needs one name');
      next.hostname = rest[0];
      return next;
    default:
      return usage(`unknown network command ${JSON.stringify(what)}`);
  }
}

/** The host network's status once it has applied `version` (it applies after the engine), or as it is after 15 s. */
async function appliedStatus(client: DaemonClient, version: number): Promise<HostNetworkStatus> {
  for (let attempt = 0; ; attempt++) {
    const { body } = await client.call<HostNetworkStatus>('GET', '/network/status');
    const done = !body.managed || body.state === 'ha-pair' || (body.appliedVersion ?? 0) >= version;
    if (done || body.state === 'failed' || attempt >= 60) return body;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function show(client: DaemonClient, ctx: CommandContext) {
  const [{ body: settings }, { body: status }] = await Promise.all([
    client.call<{ version: number; item: Network }>('GET', '/network'),
    client.call<HostNetworkStatus>('GET', '/network/status'),
  ]);
  ctx.print(describeNetwork(settings.item, status), { version: settings.version, network: settings.item, status });
}

export const networkCommand: CommandSpec = {
  name: 'network',
  summary: "network show|address|route|dns|...  the appliance's own network, from the console",
  usage: USAGE,
  positionals: { min: 1, max: 40 },
  options: {
    gateway: { type: 'string' },
    ipv6: { type: 'boolean', default: false },
    interface: { type: 'string' },
    metric: { type: 'string' },
    search: { type: 'string', multiple: true },
    yes: { type: 'boolean', short: 'y', default: false },
  },
  async run(ctx) {
    const client = await ctx.client();
    const [what] = ctx.positionals;
    if (what === 'show') {
      await show(client, ctx);
      return EXIT.ok;
    }
    if (what === 'confirm') {
      const { body } = await client.call<HostNetworkStatus>('POST', '/network/confirm');
      ctx.print(`network settings kept (${body.detail})`, body);
      return EXIT.ok;
    }
    const { body: current } = await client.call<{ version: number; item: Network }>('GET', '/network');
    const next = changeNetwork(current.item, ctx.positionals, ctx.values);
    const accept = ctx.values.yes === true ? '&addressLoss=accept' : '';
    const comment = encodeURIComponent(`network ${ctx.positionals.join(' ')}`.slice(0, 200));
    const { body } = await client.call<{ version: number }>(
      'PUT',
      `/network?version=${current.version}&wait=applied&comment=${comment}${accept}`,
      next,
    );
    const status = await appliedStatus(client, body.version);
    const trial = status.trial
      ? `; rolled back in ${status.trial.secondsLeft} s unless confirmed (sluice-appliance network confirm)`
      : '';
    ctx.print(`stored as configuration version ${body.version}: ${status.detail}${trial}`, { ...body, status });
    return EXIT.ok;
  },
};
