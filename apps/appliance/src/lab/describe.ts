import type { LabStatus } from './lab.js';
import { PAGE_PORT } from './page-server.js';
import { balancers, type LabTopology } from './topology.js';

const address = (cidr: string | undefined) => (cidr ?? '').split('/')[0] ?? '';

/** What `lab up` built and how to use it: the commands are the ones a user copies. */
export function describeLab(topology: LabTopology, tunnel: boolean): string {
  const lbs = balancers(topology);
  const lb = lbs[0];
  const p = topology.prefix;
  const lines: string[] = [];
  lines.push(`Lab up: network namespaces ${p}*`);
  lines.push('');
  lines.push(`  front network ${topology.networks.front} (one-arm: DR, TUN, Layer 7)`);
  lines.push(`  back network  ${topology.networks.back} (NAT: real servers' gateway ${topology.natGateway})`);
  lines.push('');
  for (const host of topology.hosts) {
    const nics = host.interfaces.map((nic) => `${nic.name} ${nic.addresses.join(' ')}`).join(', ');
    const rs = topology.realServers.find((r) => r.label === host.label);
    const what = rs ? `real server, page "${rs.page}" on port ${PAGE_PORT}` : host.role;
    lines.push(`  ${host.netns.padEnd(p.length + 8)} ${nics}  (${what})`);
  }
  lines.push('');
  lines.push('  VIPs prepared on the real servers:');
  lines.push(`    DR  ${topology.vips.dr}:80   (VIP on lo, arp_ignore=1 arp_announce=2)`);
  lines.push(`    NAT ${topology.vips.nat}:80   (real servers ${topology.realServers.map((r) => r.back).join(', ')})`);
  lines.push(
    tunnel
      ? `    TUN ${topology.vips.tun}:80   (VIP on tunl0, rp_filter=0)`
      : `    TUN ${topology.vips.tun}:80   NOT prepared: this kernel has no ipip (modprobe ipip, then lab down and up)`,
  );
  lines.push(`    Layer 7 (SNAT) ${topology.vips.layer7}:80   (nothing to change on the real servers)`);
  lines.push(
    `  NAT needs the floating IP ${topology.natGateway}/24 on ${lb ? `${lb.label}'s` : 'the balancer'} ${topology.balancerInterface.back}.`,
  );
  lines.push('');
  lines.push('Run the appliance inside:');
  const [master] = lbs;
  const masterAddress = address(master?.interfaces[0]?.addresses[0]);
  lbs.forEach((node, i) => {
    // A pair: the heartbeat section (lab config --pair) is seen from the master, lb1.
    const ha = !topology.pair
      ? ''
      : i === 0
        ? ` --ha-role master --ha-name ${node.label}`
        : ` --ha-role slave --ha-peer ${master?.label}@${masterAddress}`;
    lines.push(
      `  ip netns exec ${node.netns} sluice-appliance serve --data-dir /var/lib/sluice-lab/${node.label}${ha}`,
    );
  });
  lines.push(
    `  (its API and web UI listen on ${lbs.map((n) => address(n.interfaces[0]?.addresses[0])).join(' and ')}:9080 inside the lab;`,
  );
  lines.push(`   sample configuration: sluice-appliance lab config${topology.pair ? ' --pair' : ''})`);
  lines.push('');
  lines.push('Watch a client:');
  lines.push(`  ip netns exec ${p}client1 curl -s http://${topology.vips.dr}/`);
  lines.push(
    `  while sleep 0.5; do ip netns exec ${p}client2 curl -s --max-time 1 http://${topology.vips.dr}/ || echo failed; done`,
  );
  lines.push('Take a server offline (through the appliance; "online" brings it back):');
  for (const command of offlineCommand(topology, 'lab-dr', 'alpha')) lines.push(`  ${command}`);
  lines.push('Pull a cable, stop a web server:');
  lines.push('  sluice-appliance lab cable alpha down      # and: lab cable alpha up');
  lines.push('  sluice-appliance lab web alpha stop        # and: lab web alpha start');
  lines.push('Remove everything (the appliance running inside too):');
  lines.push('  sluice-appliance lab down');
  return lines.join('\n');
}

export function describeStatus(status: LabStatus): string {
  if (!status.hosts.some((h) => h.present)) return 'Lab down (no lab namespaces).';
  const lines = [`Lab ${status.up ? 'up' : 'partly up'}${status.pair ? ' (HA pair)' : ''}`];
  for (const host of status.hosts) {
    if (!host.present) {
      lines.push(`  ${host.netns}: missing`);
      continue;
    }
    const nics = host.interfaces
      .map((nic) => `${nic.name} ${nic.addresses.join(' ') || '-'} cable ${nic.cable}`)
      .join(', ');
    const web = host.web ? `, web ${host.web.running ? `running (pid ${host.web.pid})` : 'stopped'}` : '';
    const appliance = host.appliance
      ? `, appliance ${host.appliance.length > 0 ? `running (pid ${host.appliance.join(', ')})` : 'not running'}`
      : '';
    lines.push(`  ${host.netns}: ${nics}${web}${appliance}`);
  }
  return lines.join('\n');
}

/**
 * The REST call that takes a Layer 4 real server offline, run inside the (first) balancer
 * with the daemon's local CLI token: what `lab up` prints, as a user would paste it.
 */
export function offlineCommand(topology: LabTopology, service: string, server: string, state = 'offline'): string[] {
  const lb = balancers(topology)[0];
  const dataDir = `/var/lib/sluice-lab/${lb?.label ?? 'lb'}`;
  return [
    `ip netns exec ${lb?.netns ?? `${topology.prefix}lb`} curl -s -X POST \\`,
    `    -H "authorization: Bearer $(cat ${dataDir}/cli.token)" -H 'content-type: application/json' \\`,
    `    -d '{"state":"${state}"}' http://127.0.0.1:9080/api/v1/runtime/layer4/services/${service}/real-servers/${server}`,
  ];
}
