import { describe, expect, it } from 'vitest';
import { ApplianceError, parseConfig, validateConfig } from '../src/index.js';
import { sampleConfig } from './fixtures/sample-config.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests reach into any path of a sample to break it
type Mutable = Record<string, any>;

function errorsAfter(change: (config: Mutable) => void) {
  const config = sampleConfig() as Mutable;
  change(config);
  return validateConfig(config).errors.map((error) => ({ code: error.code, field: error.field }));
}

describe('semantic validation', () => {
  it('refuses port translation for DR and TUN real servers and fallbacks', () => {
    expect(errorsAfter((c) => (c.layer4[0].realServers[0].port = 8080))).toEqual([
      { code: 'CONFIG_PORT_TRANSLATION', field: 'layer4[0].realServers[0].port' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].fallback.port = 81))).toEqual([
      { code: 'CONFIG_PORT_TRANSLATION', field: 'layer4[0].fallback.port' },
    ]);
    // Several ports: a DR real server cannot name any one of them.
    expect(
      errorsAfter((c) => {
        c.layer4[0].ports = [80, 443];
      }),
    ).toEqual([{ code: 'CONFIG_PORT_TRANSLATION', field: 'layer4[0].realServers[0].port' }]);
    expect(
      errorsAfter((c) => {
        c.layer4[2] = { ...c.layer4[2], protocol: 'tcp', fwmark: undefined, ports: [443] };
        c.layer4[2].realServers[0].port = 8443;
      }),
    ).toEqual([{ code: 'CONFIG_PORT_TRANSLATION', field: 'layer4[2].realServers[0].port' }]);
    // NAT translates ports: no error.
    expect(errorsAfter((c) => (c.layer4[1].realServers[0].port = 9999))).toEqual([]);
  });

  it('finds the same VIP, port and protocol claimed twice, across every kind of service', () => {
    const duplicate = { label: 'copy', vip: '192.0.2.10', ports: [80], realServers: [] };
    expect(errorsAfter((c) => c.layer4.push(duplicate))).toEqual([
      { code: 'CONFIG_DUPLICATE_LISTENER', field: 'layer4[3].ports[0]' },
    ]);
    // A range overlapping one port of another service; IPv6 spelled differently still collides.
    expect(
      errorsAfter((c) =>
        c.layer4.push({ ...duplicate, vip: '2001:0db8:0::10', protocol: 'udp', ports: [{ from: 8050, to: 9000 }] }),
      ),
    ).toEqual([{ code: 'CONFIG_DUPLICATE_LISTENER', field: 'layer4[3].ports[0]' }]);
    // Same port, other protocol: allowed.
    expect(errorsAfter((c) => c.layer4.push({ ...duplicate, protocol: 'udp' }))).toEqual([]);
    // "both" collides with tcp.
    expect(errorsAfter((c) => c.layer4.push({ ...duplicate, protocol: 'both' }))).toEqual([
      { code: 'CONFIG_DUPLICATE_LISTENER', field: 'layer4[3].ports[0]' },
    ]);
    // Layer 4 against Layer 7, and SSL against Layer 7.
    expect(errorsAfter((c) => c.layer4.push({ ...duplicate, vip: '198.51.100.10', ports: [8080] }))).toEqual([
      { code: 'CONFIG_DUPLICATE_LISTENER', field: 'layer7[0].ports[1]' },
    ]);
    expect(errorsAfter((c) => (c.ssl[0].port = 8080))).toEqual([
      { code: 'CONFIG_DUPLICATE_LISTENER', field: 'ssl[0].port' },
    ]);
    // Firewall marks per family.
    expect(
      errorsAfter((c) =>
        c.layer4.push({ label: 'mark2', vip: '192.0.2.12', protocol: 'fwmark', fwmark: 7, forwarding: 'tun' }),
      ),
    ).toEqual([{ code: 'CONFIG_DUPLICATE_LISTENER', field: 'layer4[3].fwmark' }]);
  });

  it('finds addresses of the wrong family for NAT and DR, not for TUN', () => {
    expect(errorsAfter((c) => (c.layer4[0].realServers[1].address = '2001:db8::22'))).toEqual([
      { code: 'CONFIG_ADDRESS_FAMILY', field: 'layer4[0].realServers[1].address' },
    ]);
    expect(errorsAfter((c) => (c.layer4[1].realServers[0].address = '192.0.2.21'))).toEqual([
      { code: 'CONFIG_ADDRESS_FAMILY', field: 'layer4[1].realServers[0].address' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].fallback.address = '2001:db8::200'))).toEqual([
      { code: 'CONFIG_ADDRESS_FAMILY', field: 'layer4[0].fallback.address' },
    ]);
    expect(errorsAfter((c) => (c.layer4[2].realServers[0].address = '192.0.2.99'))).toEqual([]);
  });

  it('finds unknown references', () => {
    expect(errorsAfter((c) => (c.layer4[1].healthCheck = 'nope'))).toEqual([
      { code: 'CONFIG_UNKNOWN_REFERENCE', field: 'layer4[1].healthCheck' },
    ]);
    expect(errorsAfter((c) => (c.layer7[1].healthCheck = 'nope'))).toEqual([
      { code: 'CONFIG_UNKNOWN_REFERENCE', field: 'layer7[1].healthCheck' },
    ]);
    expect(errorsAfter((c) => (c.ssl[0].certificate = 'other-cert'))).toEqual([
      { code: 'CONFIG_UNKNOWN_REFERENCE', field: 'ssl[0].certificate' },
    ]);
    // The service behind SSL must be a Layer 7 one, not a Layer 4 one.
    expect(errorsAfter((c) => (c.ssl[0].service = 'web-dr'))).toEqual([
      { code: 'CONFIG_UNKNOWN_REFERENCE', field: 'ssl[0].service' },
    ]);
    expect(errorsAfter((c) => (c.layer7[0].urlRules[0].service = 'gone'))).toEqual([
      { code: 'CONFIG_UNKNOWN_REFERENCE', field: 'layer7[0].urlRules[0].service' },
    ]);
  });

  it('finds duplicate labels', () => {
    expect(errorsAfter((c) => (c.layer7[2].label = 'web-dr'))).toEqual([
      { code: 'CONFIG_DUPLICATE_LABEL', field: 'layer7[2].label' },
    ]);
    expect(errorsAfter((c) => (c.ssl[0].label = 'rdp'))).toEqual([
      { code: 'CONFIG_DUPLICATE_LABEL', field: 'ssl[0].label' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].realServers[1].label = 'alpha_server'))).toEqual([
      { code: 'CONFIG_DUPLICATE_LABEL', field: 'layer4[0].realServers[1].label' },
    ]);
    expect(errorsAfter((c) => c.healthChecks.push({ label: 'web-check', type: 'ping' }))).toEqual([
      { code: 'CONFIG_DUPLICATE_LABEL', field: 'healthChecks[1].label' },
    ]);
    expect(errorsAfter((c) => c.certificates.push({ label: 'site-cert', file: '/x.pem' }))).toEqual([
      { code: 'CONFIG_DUPLICATE_LABEL', field: 'certificates[1].label' },
    ]);
    expect(errorsAfter((c) => c.administration.users.push({ ...c.administration.users[0] }))).toEqual([
      { code: 'CONFIG_DUPLICATE_LABEL', field: 'administration.users[1].username' },
    ]);
    // The same real server label in two services is fine (alpha_server is in web-dr and web-l7).
    expect(errorsAfter(() => undefined)).toEqual([]);
  });

  it('finds options that cannot go together', () => {
    const cases: [(c: Mutable) => void, string][] = [
      [(c) => (c.layer7[0].persistence.type = 'rdp-cookie'), 'layer7[0].persistence.type'],
      [(c) => (c.layer7[2].persistence.type = 'cookie-insert'), 'layer7[2].persistence.type'],
      [
        (c) => (c.layer7[2].urlRules = [{ match: 'host', value: 'a.example', service: 'web-l7' }]),
        'layer7[2].urlRules',
      ],
      [(c) => delete c.layer4[2].fwmark, 'layer4[2].fwmark'],
      [(c) => (c.layer4[2].ports = [80]), 'layer4[2].ports'],
      [(c) => (c.layer4[0].fwmark = 3), 'layer4[0].fwmark'],
      [(c) => (c.layer4[0].ports = []), 'layer4[0].ports'],
      [(c) => (c.layer4[0].persistence.granularity = 64), 'layer4[0].persistence.granularity'],
      [(c) => (c.layer4[0].realServers[1].minConnections = 600), 'layer4[0].realServers[1].minConnections'],
      [(c) => (c.administration.httpsPort = 9080), 'administration.httpsPort'],
      [(c) => c.floatingIps.push({ address: '2001:db8:0::10/48' }), 'floatingIps[2].address'],
      [(c) => c.network.interfaces.push({ name: 'eth0', addresses: [] }), 'network.interfaces[1].name'],
    ];
    for (const [change, field] of cases)
      expect(errorsAfter(change), field).toEqual([{ code: 'CONFIG_CONFLICT', field }]);
    // Granularity up to 128 is fine for an IPv6 VIP.
    expect(errorsAfter((c) => (c.layer4[1].persistence = { timeoutSeconds: 60, granularity: 64 }))).toEqual([]);
    // A lower threshold needs an upper one: the kernel refuses it alone (ERANGE), as ipvsadm -y does.
    expect(errorsAfter((c) => (c.layer4[0].realServers[0].minConnections = 10))).toEqual([
      { code: 'CONFIG_CONFLICT', field: 'layer4[0].realServers[0].minConnections' },
    ]);
    expect(
      errorsAfter((c) => Object.assign(c.layer4[0].realServers[0], { minConnections: 10, maxConnections: 10 })),
    ).toEqual([]);
  });

  it('warns, without refusing, about what the balancer cannot check', () => {
    const result = validateConfig(sampleConfig());
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => ({ code: w.code, field: w.field }))).toEqual([
      { code: 'CONFIG_DR_ARP', field: 'layer4[0]' },
      { code: 'CONFIG_NAT_GATEWAY', field: 'layer4[1]' },
    ]);
    expect(result.warnings[1]?.message).toMatch(/default gateway/);
    const empty = validateConfig({ layer4: [{ label: 'lonely', vip: '192.0.2.50', ports: [25] }] });
    expect(empty.ok).toBe(true);
    expect(empty.warnings).toEqual([expect.objectContaining({ code: 'CONFIG_NO_REAL_SERVERS', field: 'layer4[0]' })]);
  });

  it('reports every error at once, and parseConfig throws them as one CONFIG_REJECTED', () => {
    const config = sampleConfig() as Mutable;
    config.layer4[0].realServers[0].port = 81;
    config.ssl[0].certificate = 'nope';
    expect(validateConfig(config).errors).toHaveLength(2);
    let thrown: unknown;
    try {
      parseConfig(config);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApplianceError);
    const error = thrown as ApplianceError;
    expect(error.code).toBe('CONFIG_REJECTED');
    expect(error.field).toBe('layer4[0].realServers[0].port');
    expect(error.message).toMatch(/and 1 more/);
    expect(error.toJSON().issues).toEqual([
      expect.objectContaining({ code: 'CONFIG_PORT_TRANSLATION', field: 'layer4[0].realServers[0].port' }),
      expect.objectContaining({ code: 'CONFIG_UNKNOWN_REFERENCE', field: 'ssl[0].certificate' }),
    ]);
    expect(parseConfig(sampleConfig()).config.layer4).toHaveLength(3);
  });
});
