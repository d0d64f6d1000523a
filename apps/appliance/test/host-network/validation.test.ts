import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/model/validate.js';

const errorsOf = (network: unknown) => {
  const result = validateConfig({ network });
  return result.errors.map((e) => ({ code: e.code, field: e.field, message: e.message }));
};
const codesOf = (network: unknown) => errorsOf(network).map(({ code, field }) => ({ code, field }));

const eth0 = { name: 'eth0', addresses: ['192.0.2.21/24', '2001:db8::21/64'] };

describe('network section validation', () => {
  it('takes routes, DNS, a host name and NTP servers', () => {
    const result = validateConfig({
      network: {
        interfaces: [eth0],
        defaultGateway: { ipv4: '192.0.2.1', ipv6: 'fe80::1' },
        routes: [{ destination: '198.51.100.0/24', gateway: '192.0.2.254', interface: 'eth0', metric: 10 }],
        dns: { servers: ['192.0.2.53'], searchDomains: ['example.com'] },
        hostname: 'lb-1',
        ntpServers: ['0.debian.pool.ntp.org', '2001:db8::123'],
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.config?.network.dns).toEqual({ servers: ['192.0.2.53'], searchDomains: ['example.com'] });
  });

  it('refuses a default gateway outside every configured interface network', () => {
    expect(errorsOf({ interfaces: [eth0], defaultGateway: { ipv4: '198.51.100.1', ipv6: '2001:db9::1' } })).toEqual([
      {
        code: 'CONFIG_GATEWAY_UNREACHABLE',
        field: 'network.defaultGateway.ipv4',
        message:
          'network.defaultGateway.ipv4: 198.51.100.1 is outside every configured interface network (192.0.2.21/24)',
      },
      {
        code: 'CONFIG_GATEWAY_UNREACHABLE',
        field: 'network.defaultGateway.ipv6',
        message:
          'network.defaultGateway.ipv6: 2001:db9::1 is outside every configured interface network (2001:db8::21/64)',
      },
    ]);
    // No configured address of the family: the host's own network (DHCP, the factory file) may reach it.
    expect(errorsOf({ defaultGateway: { ipv4: '198.51.100.1' } })).toEqual([]);
  });

  it('refuses a route whose gateway is unreachable, of the other family, or on an interface that is not configured', () => {
    expect(
      codesOf({
        interfaces: [eth0, { name: 'eth1', addresses: ['198.51.100.1/24'] }],
        routes: [
          { destination: '203.0.113.0/24', gateway: '192.0.2.254' },
          { destination: '203.0.114.0/24', gateway: '203.0.113.9' },
          { destination: '203.0.115.0/24', gateway: '192.0.2.254', interface: 'eth1' },
          { destination: '203.0.116.0/24', gateway: '2001:db8::1' },
          { destination: '203.0.117.0/24', gateway: '192.0.2.254', interface: 'eth9' },
          { destination: '203.0.113.7/24', gateway: '198.51.100.254' },
          { destination: '2001:db8:5::/48', gateway: 'fe80::1' },
        ],
      }),
    ).toEqual([
      { code: 'CONFIG_GATEWAY_UNREACHABLE', field: 'network.routes[1].gateway' },
      { code: 'CONFIG_GATEWAY_UNREACHABLE', field: 'network.routes[2].gateway' },
      { code: 'CONFIG_ADDRESS_FAMILY', field: 'network.routes[3].gateway' },
      { code: 'CONFIG_UNKNOWN_REFERENCE', field: 'network.routes[4].interface' },
      { code: 'CONFIG_CONFLICT', field: 'network.routes[5].destination' },
      { code: 'CONFIG_CONFLICT', field: 'network.routes[6].interface' },
    ]);
  });

  it('takes RFC 1123 host names only', () => {
    for (const good of ['lb1', 'lb-1.example.com', '1lb', 'a'.repeat(63)])
      expect(errorsOf({ hostname: good })).toEqual([]);
    for (const bad of ['-lb', 'lb-', 'lb_1', 'lb..x', 'a'.repeat(64), '', 'lb 1']) {
      expect(codesOf({ hostname: bad })).toEqual([{ code: 'CONFIG_INVALID', field: 'network.hostname' }]);
    }
  });

  it('lets no value add a line, a section or a setting to a generated file', () => {
    const attempts = ['lb1\nDNS=203.0.113.66', 'lb1\r\n[Network]', '[Resolve]', 'lb1 DNS=1.2.3.4', 'x=y', 'lb1#c'];
    for (const value of attempts) {
      expect(codesOf({ hostname: value })).toEqual([{ code: 'CONFIG_INVALID', field: 'network.hostname' }]);
      expect(codesOf({ ntpServers: [value] })).toEqual([{ code: 'CONFIG_INVALID', field: 'network.ntpServers[0]' }]);
      expect(codesOf({ dns: { searchDomains: [value] } })).toEqual([
        { code: 'CONFIG_INVALID', field: 'network.dns.searchDomains[0]' },
      ]);
      expect(codesOf({ dns: { servers: [value] } })).toEqual([
        { code: 'CONFIG_INVALID', field: 'network.dns.servers[0]' },
      ]);
      // A long value breaks the length rule too: each rule is its own error at the same field.
      expect(
        new Set(errorsOf({ interfaces: [{ name: value, addresses: [] }] }).map((e) => `${e.code} ${e.field}`)),
      ).toEqual(new Set(['CONFIG_INVALID network.interfaces[0].name']));
      expect(codesOf({ interfaces: [eth0], routes: [{ destination: value, gateway: '192.0.2.1' }] })).toEqual([
        { code: 'CONFIG_INVALID', field: 'network.routes[0].destination' },
      ]);
    }
    expect(codesOf({ interfaces: [{ name: 'eth0', addresses: ['192.0.2.1/24\nGateway=203.0.113.1'] }] })).toEqual([
      { code: 'CONFIG_INVALID', field: 'network.interfaces[0].addresses[0]' },
    ]);
  });
});
