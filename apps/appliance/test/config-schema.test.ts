import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchemaText, defaultConfig, validateConfig } from '../src/index.js';
import { sampleConfig } from './fixtures/sample-config.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests reach into any path of a sample to break it
type Mutable = Record<string, any>;

/** The sample with one change applied, then validated; returns the error codes and fields. */
function errorsAfter(change: (config: Mutable) => void) {
  const config = sampleConfig() as Mutable;
  change(config);
  const result = validateConfig(config);
  return result.errors.map((error) => ({ code: error.code, field: error.field }));
}

describe('configuration schema', () => {
  it('accepts a configuration using every section and fills in the defaults', () => {
    const result = validateConfig(sampleConfig());
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    if (!result.ok) throw new Error('the sample must be valid');
    const config = result.config;
    expect(config.format).toBe(1);
    expect(config.layer4[0]?.realServers[1]).toMatchObject({ weight: 2, minConnections: 0, maxConnections: 500 });
    expect(config.layer4[0]?.realServers[0]).toMatchObject({ weight: 1, minConnections: 0, maxConnections: 0 });
    expect(config.layer4[1]).toMatchObject({ scheduler: 'wlc', protocol: 'both' });
    expect(config.layer7[1]).toMatchObject({
      mode: 'http',
      xForwardedFor: true,
      tproxy: false,
      persistence: { type: 'none' },
    });
    expect(config.healthChecks[0]).toMatchObject({ intervalSeconds: 10, timeoutSeconds: 5, rise: 2, fall: 3 });
    expect(config.administration).toMatchObject({ httpPort: 9080, httpsPort: 9443 });
    expect(config.administration.users[0]?.role).toBe('admin');
  });

  it('has a factory default that is empty and valid', () => {
    const config = defaultConfig();
    expect(config).toMatchObject({ layer4: [], layer7: [], ssl: [], floatingIps: [] });
    expect(config.network).toEqual({ interfaces: [], defaultGateway: {} });
    expect(validateConfig(config).ok).toBe(true);
    expect(validateConfig({}).ok).toBe(true);
  });

  it('rejects unknown fields at every level, naming the field', () => {
    expect(errorsAfter((c) => (c.extra = 1))).toEqual([{ code: 'CONFIG_INVALID', field: 'extra' }]);
    expect(errorsAfter((c) => (c.layer4[1].realServers[0].wieght = 3))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[1].realServers[0].wieght' },
    ]);
    expect(errorsAfter((c) => (c.heartbeat.peer.port = 694))).toEqual([
      { code: 'CONFIG_INVALID', field: 'heartbeat.peer.port' },
    ]);
    expect(errorsAfter((c) => (c.network.defaultGateway.ipv5 = '1'))).toEqual([
      { code: 'CONFIG_INVALID', field: 'network.defaultGateway.ipv5' },
    ]);
  });

  it('rejects wrong types, ranges and enumerations, naming the field', () => {
    expect(errorsAfter((c) => (c.layer4[0].ports = ['80']))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[0].ports[0]' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].ports = [0]))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[0].ports[0]' },
    ]);
    expect(errorsAfter((c) => (c.layer4[1].ports[1] = { from: 9000, to: 8000 }))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[1].ports[1].to' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].realServers[0].weight = 1.5))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[0].realServers[0].weight' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].realServers[0].weight = 65536))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[0].realServers[0].weight' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].forwarding = 'masq'))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[0].forwarding' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].scheduler = 'random'))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[0].scheduler' },
    ]);
    expect(errorsAfter((c) => (c.layer7[0].persistence.type = 'sticky'))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer7[0].persistence.type' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].vip = '192.0.2.256'))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[0].vip' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].vip = '192.0.2.10/24'))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[0].vip' },
    ]);
    expect(errorsAfter((c) => (c.floatingIps[0].address = '192.0.2.10'))).toEqual([
      { code: 'CONFIG_INVALID', field: 'floatingIps[0].address' },
    ]);
    expect(errorsAfter((c) => (c.administration.httpPort = 70000))).toEqual([
      { code: 'CONFIG_INVALID', field: 'administration.httpPort' },
    ]);
    expect(errorsAfter((c) => (c.heartbeat.key = 'short'))).toEqual([
      { code: 'CONFIG_INVALID', field: 'heartbeat.key' },
    ]);
    expect(errorsAfter((c) => (c.format = 2))).toEqual([{ code: 'CONFIG_INVALID', field: 'format' }]);
    expect(validateConfig(null).errors.map((e) => e.field)).toEqual(['(root)']);
  });

  it('never accepts a plain-text password', () => {
    for (const password of ['loadbalancer', 'correct horse battery staple', '$6$short', '']) {
      expect(errorsAfter((c) => (c.administration.users[0].passwordHash = password))).toEqual([
        { code: 'CONFIG_INVALID', field: 'administration.users[0].passwordHash' },
      ]);
    }
    expect(errorsAfter((c) => (c.administration.users[0].password = 'secret'))).toEqual([
      { code: 'CONFIG_INVALID', field: 'administration.users[0].password' },
    ]);
  });

  it('rejects injection-style strings in every kind of string field', () => {
    const hostile = [
      'web\nbackend evil',
      'web\r\n  server x 203.0.113.9:80',
      'a\u0000b',
      'x\u2028y',
      'rtl\u202Eevil',
      '$(reboot)',
      'web; rm -rf /',
      '../../etc/passwd',
      'x'.repeat(65),
      '',
    ];
    const fields: [string, (c: Mutable, v: string) => void][] = [
      ['layer4[0].label', (c, v) => (c.layer4[0].label = v)],
      ['layer4[0].realServers[0].label', (c, v) => (c.layer4[0].realServers[0].label = v)],
      ['layer7[0].persistence.cookieName', (c, v) => (c.layer7[0].persistence.cookieName = v)],
      ['heartbeat.links[0].interface', (c, v) => (c.heartbeat.links[0].interface = v)],
      ['administration.users[0].username', (c, v) => (c.administration.users[0].username = v)],
      ['certificates[0].file', (c, v) => (c.certificates[0].file = v)],
      ['layer7[0].urlRules[0].value', (c, v) => (c.layer7[0].urlRules[0].value = v)],
      ['healthChecks[0].path', (c, v) => (c.healthChecks[0].path = v)],
    ];
    for (const [field, set] of fields) {
      for (const value of hostile) {
        const found = errorsAfter((c) => set(c, value));
        // Some hostile strings are harmless in some fields (a long path); those that are accepted must be one token.
        if (found.length === 0) {
          expect(value, `${field} accepted ${JSON.stringify(value)}`).toMatch(/^[^\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u);
          continue;
        }
        expect(found, `${field} = ${JSON.stringify(value)}`).toContainEqual({ code: 'CONFIG_INVALID', field });
      }
    }
    const descriptions = ['line\nbreak', 'nul\u0000', 'bidi\u202E', 'sep\u2029', 'd'.repeat(257)];
    for (const value of descriptions) {
      expect(errorsAfter((c) => (c.layer4[0].description = value))).toEqual([
        { code: 'CONFIG_INVALID', field: 'layer4[0].description' },
      ]);
    }
    expect(errorsAfter((c) => (c.layer4[0].description = 'Web farm — façade (primary)'))).toEqual([]);
  });

  it("names are what HAProxy and the network tools take as one word (the renderer's rules)", () => {
    const refused = (change: (c: Mutable) => void, field: string) =>
      expect(errorsAfter(change)).toEqual([{ code: 'CONFIG_INVALID', field }]);
    refused((c) => (c.layer7[0].persistence.cookieName = 'SID#x'), 'layer7[0].persistence.cookieName');
    refused((c) => (c.layer7[0].persistence.cookieName = "S'ID"), 'layer7[0].persistence.cookieName');
    refused((c) => (c.layer7[0].urlRules[0].value = 'static/'), 'layer7[0].urlRules[0].value');
    refused(
      (c) => (c.layer7[0].urlRules[0] = { match: 'path-suffix', value: '-i', service: 'static-l7' }),
      'layer7[0].urlRules[0].value',
    );
    refused(
      (c) => (c.layer7[0].urlRules[0] = { match: 'host', value: '*.example.com', service: 'static-l7' }),
      'layer7[0].urlRules[0].value',
    );
    refused((c) => (c.floatingIps[0].interface = '-eth0'), 'floatingIps[0].interface');
    refused((c) => (c.network.interfaces = [{ name: '--help', addresses: [] }]), 'network.interfaces[0].name');
    refused((c) => (c.certificates[0].file = '/etc/sluice/my site.pem'), 'certificates[0].file');
    refused((c) => (c.certificates[0].file = '/etc/sluice/site#1.pem'), 'certificates[0].file');
    // What people write stays valid.
    expect(
      errorsAfter((c) => {
        c.layer7[0].persistence.cookieName = 'JSESSIONID';
        c.layer7[0].urlRules = [
          { match: 'path-prefix', value: '/images/', service: 'static-l7' },
          { match: 'path-suffix', value: '.jpg', service: 'static-l7' },
          { match: 'host', value: 'static.example.com:8080', service: 'static-l7' },
        ];
        c.floatingIps[0].interface = 'br-lan.100';
        c.certificates[0].file = '/etc/ssl/private/www.example.com+chain_2026-01.pem';
      }),
    ).toEqual([]);
  });

  it("holds the heartbeat timers to the heartbeat package's bounds and rules, at the field at fault", () => {
    // Absent: nothing stored, the package's defaults apply (src/ha/timing.ts).
    const plain = validateConfig(sampleConfig());
    expect(plain.ok && plain.config.heartbeat?.timing).toBeUndefined();
    const partial = validateConfig({ ...sampleConfig(), heartbeat: { ...sampleConfig().heartbeat, timing: {} } });
    expect(partial.ok && partial.config.heartbeat?.timing).toEqual({
      keepaliveMs: 50,
      warntimeMs: 100,
      deadtimeMs: 150,
      initdeadMs: 1000,
    });
    const timing = (t: Record<string, unknown>) => (c: Mutable) => (c.heartbeat.timing = t);
    const at = (field: string) => [{ code: 'CONFIG_INVALID', field: `heartbeat.timing.${field}` }];
    expect(errorsAfter(timing({ keepaliveMs: 0 }))).toEqual(at('keepaliveMs'));
    expect(errorsAfter(timing({ initdeadMs: 600_001, deadtimeMs: 600_000 }))).toEqual(at('initdeadMs'));
    expect(errorsAfter(timing({ deadtimeMs: 12.5 }))).toEqual(at('deadtimeMs'));
    expect(errorsAfter(timing({ keepaliveMs: 50, warntimeMs: 49 }))).toEqual(at('warntimeMs'));
    // One lost heartbeat is not a death: deadtime at least twice keepalive, and at least warntime.
    expect(errorsAfter(timing({ keepaliveMs: 100, warntimeMs: 100, deadtimeMs: 199 }))).toEqual(at('deadtimeMs'));
    expect(errorsAfter(timing({ keepaliveMs: 50, warntimeMs: 300, deadtimeMs: 200 }))).toEqual(at('deadtimeMs'));
    expect(errorsAfter(timing({ deadtimeMs: 2000 }))).toEqual(at('initdeadMs'));
    expect(errorsAfter(timing({ keepaliveMs: 600, warntimeMs: 1000, deadtimeMs: 1100 }))).toEqual([
      ...at('deadtimeMs'),
      ...at('initdeadMs'),
    ]);
    expect(errorsAfter(timing({ keepaliveMs: 100, warntimeMs: 200, deadtimeMs: 200, initdeadMs: 200 }))).toEqual([]);
  });

  it('bounds every list', () => {
    expect(errorsAfter((c) => (c.heartbeat.links = []))).toEqual([
      { code: 'CONFIG_INVALID', field: 'heartbeat.links' },
    ]);
    expect(errorsAfter((c) => (c.layer4[0].ports = Array.from({ length: 1025 }, () => 80)))).toEqual([
      { code: 'CONFIG_INVALID', field: 'layer4[0].ports' },
    ]);
  });
});

describe('config.schema.json', () => {
  it('is up to date with the schema (regenerate: npm run build && npm run schema && biome format --write)', () => {
    // Compared as JSON, not as text: Biome formats the file after it is written.
    const file = JSON.parse(readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8'));
    expect(file).toEqual(JSON.parse(configJsonSchemaText()));
  });

  it('describes strict objects, bounded strings and the defaults as optional', () => {
    const schema = JSON.parse(configJsonSchemaText());
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    const realServer = schema.properties.layer4.items.properties.realServers.items;
    expect(realServer.additionalProperties).toBe(false);
    expect(realServer.required).toEqual(['label', 'address']);
    expect(realServer.properties.weight).toMatchObject({ default: 1, minimum: 0, maximum: 65535 });
    expect(realServer.properties.label.maxLength).toBe(64);
  });
});
