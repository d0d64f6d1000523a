import type { ApplianceConfigInput } from '../model/schema.js';
import { PAGE_PORT } from './page-server.js';
import { balancers, type LabTopology } from './topology.js';

/** The health check every sample service uses: the page must answer 200. */
export const LAB_HEALTH_CHECK = {
  label: 'lab-page',
  type: 'http',
  path: '/',
  expectStatus: 200,
  intervalSeconds: 1,
  // Generous: under load (or in the tests' User-Mode Linux kernel) an answer can take a second.
  timeoutSeconds: 3,
  rise: 1,
  fall: 2,
} as const satisfies NonNullable<ApplianceConfigInput['healthChecks']>[number];

type Layer4Input = NonNullable<ApplianceConfigInput['layer4']>[number];
type Layer7Input = NonNullable<ApplianceConfigInput['layer7']>[number];

/** A Layer 4 service of the lab: every real server, at the address that forwarding method reaches. */
export function labLayer4Service(topology: LabTopology, forwarding: 'dr' | 'nat' | 'tun', label = `lab-${forwarding}`) {
  return {
    label,
    vip: topology.vips[forwarding],
    ports: [PAGE_PORT],
    protocol: 'tcp',
    forwarding,
    scheduler: 'rr',
    healthCheck: LAB_HEALTH_CHECK.label,
    realServers: topology.realServers.map((rs) => ({
      label: rs.label,
      address: forwarding === 'nat' ? rs.back : rs.front,
    })),
  } satisfies Layer4Input;
}

/** The Layer 7 (HAProxy, SNAT) service of the lab. */
export function labLayer7Service(topology: LabTopology, label = 'lab-l7') {
  return {
    label,
    vip: topology.vips.layer7,
    ports: [PAGE_PORT],
    mode: 'http',
    healthCheck: LAB_HEALTH_CHECK.label,
    realServers: topology.realServers.map((rs) => ({ label: rs.label, address: rs.front, port: PAGE_PORT })),
  } satisfies Layer7Input;
}

/** The NAT real servers' gateway, held by the (active) balancer. */
export function labGatewayFloatingIp(topology: LabTopology) {
  return { address: `${topology.natGateway}/24`, interface: topology.balancerInterface.back };
}

/** The HA section for a pair: seen from the master (`lb1`), the peer is the slave (`lb2`). */
export function labHeartbeat(topology: LabTopology, key = 'sluice-lab-heartbeat-key') {
  const slave = balancers(topology)[1];
  const slaveFront = (slave?.interfaces[0]?.addresses[0] ?? '').split('/')[0] ?? '';
  return {
    enabled: true,
    peer: { name: slave?.label ?? 'lb2', address: slaveFront },
    links: [{ interface: topology.balancerInterface.front }],
    key,
    autoFailback: true,
  } satisfies NonNullable<ApplianceConfigInput['heartbeat']>;
}

/**
 * A whole configuration for the lab: DR, NAT and TUN Layer 4 services, a Layer 7 service,
 * the NAT gateway floating IP, and for a pair the heartbeat section.
 */
export function labSampleConfig(topology: LabTopology): ApplianceConfigInput {
  return {
    healthChecks: [LAB_HEALTH_CHECK],
    layer4: [labLayer4Service(topology, 'dr'), labLayer4Service(topology, 'nat'), labLayer4Service(topology, 'tun')],
    layer7: [labLayer7Service(topology)],
    floatingIps: [labGatewayFloatingIp(topology)],
    ...(topology.pair ? { heartbeat: labHeartbeat(topology) } : {}),
  };
}
