import { describe, expect, it } from 'vitest';
import { RESOLVED_FILE, renderHostNetwork, TIMESYNCD_FILE } from '../../src/host-network/render.js';
import { networkSchema } from '../../src/model/schema.js';

const HEADER = '# Written by the Sluice appliance from its network settings: changes here are overwritten.';

describe('renderHostNetwork', () => {
  it('writes one .network per interface with its addresses, gateways and routes, and the DNS and NTP drop-ins', () => {
    const plan = renderHostNetwork(
      networkSchema.parse({
        interfaces: [
          { name: 'eth0', addresses: ['192.0.2.21/24', '2001:db8::21/64'] },
          { name: 'eth1', addresses: ['198.51.100.1/24'] },
        ],
        defaultGateway: { ipv4: '192.0.2.1', ipv6: '2001:db8::1' },
        routes: [
          { destination: '203.0.113.0/24', gateway: '198.51.100.254', metric: 100 },
          { destination: '2001:db8:1::/48', gateway: '2001:db8::fe' },
        ],
        dns: { servers: ['192.0.2.53', '2001:db8::53'], searchDomains: ['example.com'] },
        hostname: 'lb1.example.com',
        ntpServers: ['ntp.example.com', '192.0.2.123'],
      }),
    );
    expect([...plan.files.keys()]).toEqual([
      'etc/systemd/network/10-sluice-eth0.network',
      'etc/systemd/network/10-sluice-eth1.network',
      RESOLVED_FILE,
      TIMESYNCD_FILE,
    ]);
    expect(plan.files.get('etc/systemd/network/10-sluice-eth0.network')).toBe(
      `${HEADER}

[Match]
Name=eth0

[Network]
ConfigureWithoutCarrier=yes
Address=192.0.2.21/24
Address=2001:db8::21/64
Gateway=192.0.2.1
Gateway=2001:db8::1

[Route]
Destination=2001:db8:1::/48
Gateway=2001:db8::fe
`,
    );
    // eth1 as eth0 above: its own address, and the IPv4 route whose gateway its network holds, with the metric.
    expect(plan.files.get('etc/systemd/network/10-sluice-eth1.network')).toMatch(
      /\nName=eth1\n(.|\n)*\nAddress=198\.51\.100\.1\/24\n\n\[Route\]\nDestination=203\.0\.113\.0\/24\nGateway=198\.51\.100\.254\nMetric=100\n$/,
    );
    expect(plan.files.get(RESOLVED_FILE)).toBe(
      `${HEADER}

[Resolve]
DNS=192.0.2.53 2001:db8::53
Domains=example.com
`,
    );
    expect(plan.files.get(TIMESYNCD_FILE)).toBe(`${HEADER}

[Time]
NTP=ntp.example.com 192.0.2.123
`);
    expect(plan.hostname).toBe('lb1.example.com');
    expect(plan.interfaces.get('etc/systemd/network/10-sluice-eth1.network')).toBe('eth1');
    expect(plan.notes).toEqual([]);
  });

  it('writes nothing for an empty section, and says where a gateway has no configured interface', () => {
    expect(renderHostNetwork(networkSchema.parse({})).files.size).toBe(0);
    const plan = renderHostNetwork(networkSchema.parse({ defaultGateway: { ipv4: '192.0.2.1' } }));
    expect(plan.files.size).toBe(0);
    expect(plan.notes).toEqual(['default gateway 192.0.2.1: no configured interface reaches it (left to the host)']);
  });

  it('puts an IPv6 link-local gateway on the interface with IPv6 addresses', () => {
    const plan = renderHostNetwork(
      networkSchema.parse({
        interfaces: [
          { name: 'eth0', addresses: ['192.0.2.21/24'] },
          { name: 'eth1', addresses: ['2001:db8::21/64'] },
        ],
        defaultGateway: { ipv6: 'fe80::1' },
      }),
    );
    expect(plan.files.get('etc/systemd/network/10-sluice-eth1.network')).toContain('Gateway=fe80::1\n');
    expect(plan.files.get('etc/systemd/network/10-sluice-eth0.network')).not.toContain('Gateway=');
  });
});
