import { describe, expect, it } from 'vitest';
import { ApplianceError } from '../../errors.js';
import { type ApplianceConfig, type ApplianceConfigInput, configSchema } from '../../model/schema.js';
import { FALLBACK_SERVER, layer7Model } from './model.js';
import { renderLayer7 } from './render.js';

const OPTIONS = { adminSocket: '/run/sluice/admin.sock', serverStateFile: '/var/lib/sluice/server-state' };

function config(input: ApplianceConfigInput): ApplianceConfig {
  return configSchema.parse(input);
}

const web = {
  label: 'web',
  vip: '192.0.2.10',
  ports: [80],
  realServers: [
    { label: 'alpha', address: '198.51.100.11', port: 8080 },
    { label: 'bravo', address: '198.51.100.12', port: 8080, weight: 3, maxConnections: 100 },
  ],
};

/** A config as a user could only write it by going around the schema (the API always parses). */
function raw(input: ApplianceConfigInput, patch: (c: ApplianceConfig) => void): ApplianceConfig {
  const parsed = structuredClone(config(input));
  patch(parsed);
  return parsed;
}

function errorOf(work: () => unknown): ApplianceError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ApplianceError);
    return error as ApplianceError;
  }
  throw new Error('expected an ApplianceError');
}

describe('layer7Model: services', () => {
  it('maps a service to a frontend on its VIP and ports and a backend of its real servers', () => {
    const { model, servers, notes } = layer7Model(config({ layer7: [web] }), OPTIONS);
    expect(model.global).toEqual({
      adminSocket: { path: OPTIONS.adminSocket },
      log: [],
      serverStateFile: OPTIONS.serverStateFile,
    });
    expect(model.frontends).toEqual([
      {
        name: 'web',
        mode: 'http',
        binds: [{ address: '192.0.2.10', ports: [80], transparent: true }],
        forwardFor: true,
        forwardedProto: true,
        defaultBackend: 'web',
      },
    ]);
    expect(model.backends).toEqual([
      {
        name: 'web',
        mode: 'http',
        balance: { algorithm: 'roundrobin' },
        persistence: { type: 'none' },
        servers: [
          { name: 'alpha', address: '198.51.100.11', port: 8080, weight: 1, check: false },
          { name: 'bravo', address: '198.51.100.12', port: 8080, weight: 3, maxconn: 100, check: false },
        ],
      },
    ]);
    expect(servers).toEqual([
      { service: 'web', server: 'alpha', weight: 1, checked: false },
      { service: 'web', server: 'bravo', weight: 3, checked: false },
    ]);
    expect(notes).toEqual([]);
  });

  it('binds an IPv6 VIP, expands port ranges, and leaves the port out of a server without one', () => {
    const { model } = layer7Model(
      config({
        layer7: [
          {
            label: 'v6',
            vip: '2001:db8::10',
            ports: [80, { from: 8000, to: 8002 }, 80],
            realServers: [{ label: 'a', address: '2001:db8:1::11' }],
          },
        ],
      }),
      OPTIONS,
    );
    expect(model.frontends[0]?.binds).toEqual([
      { address: '2001:db8::10', ports: [80, 8000, 8001, 8002], transparent: true },
    ]);
    expect(model.backends[0]?.servers[0]).toEqual({ name: 'a', address: '2001:db8:1::11', weight: 1, check: false });
    expect(
      renderLayer7(config({ layer7: [{ label: 'v6', vip: '2001:db8::10', ports: [443] }] }), OPTIONS).text,
    ).toContain('bind [2001:db8::10]:443 transparent');
  });

  it('refuses more ports than HAProxy is given binds for, naming the field', () => {
    const error = errorOf(() =>
      layer7Model(config({ layer7: [{ ...web, ports: [{ from: 1000, to: 3000 }] }] }), OPTIONS),
    );
    expect(error).toMatchObject({ code: 'CONFIG_CONFLICT', field: 'layer7[0].ports' });
  });

  it('tcp mode: no X-Forwarded-For, long idle timeouts', () => {
    const { model } = layer7Model(config({ layer7: [{ ...web, mode: 'tcp', xForwardedFor: true }] }), OPTIONS);
    expect(model.frontends[0]).toEqual({
      name: 'web',
      mode: 'tcp',
      binds: [{ address: '192.0.2.10', ports: [80], transparent: true }],
      defaultBackend: 'web',
      timeouts: { client: 3_600_000 },
    });
    expect(model.backends[0]).toMatchObject({ mode: 'tcp', timeouts: { server: 3_600_000 } });
  });

  it("the plain-HTTP frontend sets X-Forwarded-Proto itself, over the client's own", () => {
    const rendered = renderLayer7(config({ layer7: [web] }), OPTIONS);
    expect(rendered.model.frontends[0]).toMatchObject({ forwardedProto: true });
    // HAProxy 2.6 writes the header: a client's `X-Forwarded-Proto: https` never reaches a real server.
    expect(rendered.text).toContain('http-request set-header X-Forwarded-Proto http unless { ssl_fc }');
    const tcp = layer7Model(config({ layer7: [{ ...web, mode: 'tcp' }] }), OPTIONS);
    expect(tcp.model.frontends[0]).not.toHaveProperty('forwardedProto');
  });

  it('X-Forwarded-For can be turned off', () => {
    const { model } = layer7Model(config({ layer7: [{ ...web, xForwardedFor: false }] }), OPTIONS);
    expect(model.frontends[0]).not.toHaveProperty('forwardFor');
  });

  it('TPROXY connects from the client address', () => {
    const { model } = layer7Model(config({ layer7: [{ ...web, tproxy: true }] }), OPTIONS);
    expect(model.backends[0]?.transparent).toBe(true);
    const { text } = renderLayer7(config({ layer7: [{ ...web, tproxy: true }] }), OPTIONS);
    expect(text).toMatch(/server alpha 198\.51\.100\.11:8080 weight 1 source 0\.0\.0\.0 usesrc clientip/);
  });

  it('a fallback server is a backup server without a check', () => {
    const { model, servers } = layer7Model(
      config({ layer7: [{ ...web, fallback: { address: '203.0.113.99', port: 8081 } }] }),
      OPTIONS,
    );
    expect(model.backends[0]?.servers.at(-1)).toEqual({
      name: FALLBACK_SERVER,
      address: '203.0.113.99',
      port: 8081,
      backup: true,
      check: false,
    });
    expect(servers.map((s) => s.server)).toEqual(['alpha', 'bravo']);
  });
});

describe('layer7Model: persistence', () => {
  const persistence = (p: NonNullable<ApplianceConfigInput['layer7']>[number]['persistence'], extra = {}) =>
    layer7Model(config({ layer7: [{ ...web, ...extra, persistence: p }] }), OPTIONS);

  it('cookie insert, with its name and idle timeout', () => {
    expect(persistence({ type: 'cookie-insert' }).model.backends[0]?.persistence).toEqual({
      type: 'cookie-insert',
      cookie: 'SERVERID',
      httpOnly: true,
    });
    expect(
      persistence({ type: 'cookie-insert', cookieName: 'LB', timeoutSeconds: 600 }).model.backends[0]?.persistence,
    ).toEqual({ type: 'cookie-insert', cookie: 'LB', httpOnly: true, maxIdle: 600 });
  });

  it('passive cookie prefixes the application cookie (JSESSIONID when none is named, with a note)', () => {
    const named = persistence({ type: 'passive-cookie', cookieName: 'PHPSESSID' });
    expect(named.model.backends[0]?.persistence).toEqual({ type: 'cookie-prefix', cookie: 'PHPSESSID' });
    expect(named.notes).toEqual([]);
    const unnamed = persistence({ type: 'passive-cookie' });
    expect(unnamed.model.backends[0]?.persistence).toEqual({ type: 'cookie-prefix', cookie: 'JSESSIONID' });
    expect(unnamed.notes).toEqual(['layer7[0]: passive cookie persistence without a cookie name follows "JSESSIONID"']);
  });

  it('source IP: an IPv4 table, or an IPv6 one when any VIP is IPv6', () => {
    expect(persistence({ type: 'source-ip', timeoutSeconds: 300 }).model.backends[0]?.persistence).toEqual({
      type: 'source',
      family: 'ipv4',
      expireSeconds: 300,
    });
    const mixed = layer7Model(
      config({
        layer7: [
          { ...web, persistence: { type: 'source-ip' } },
          { label: 'six', vip: '2001:db8::1', ports: [80] },
        ],
      }),
      OPTIONS,
    );
    expect(mixed.model.backends[0]?.persistence).toEqual({ type: 'source', family: 'ipv6' });
  });

  it('RDP cookie in tcp mode', () => {
    const rdp = persistence({ type: 'rdp-cookie', timeoutSeconds: 3600 }, { mode: 'tcp', ports: [3389] });
    expect(rdp.model.backends[0]?.persistence).toEqual({ type: 'rdp-cookie', expireSeconds: 3600 });
    const { text } = renderLayer7(
      config({ layer7: [{ ...web, mode: 'tcp', ports: [3389], persistence: { type: 'rdp-cookie' } }] }),
      OPTIONS,
    );
    expect(text).toContain('stick on req.rdp_cookie(mstshash)');
  });

  it('none', () => {
    expect(persistence({ type: 'none' }).model.backends[0]?.persistence).toEqual({ type: 'none' });
  });
});

describe('layer7Model: URL switching', () => {
  const images = { label: 'images', vip: '192.0.2.10', ports: [8080], realServers: [] };

  it('sends matching requests to another service backend', () => {
    const { model } = layer7Model(
      config({
        layer7: [
          {
            ...web,
            urlRules: [
              { match: 'path-prefix', value: '/images/', service: 'images' },
              { match: 'path-suffix', value: '.png', service: 'images' },
              { match: 'host', value: 'static.example.com', service: 'images' },
            ],
          },
          images,
        ],
      }),
      OPTIONS,
    );
    expect(model.frontends[0]?.rules).toEqual([
      { name: 'url0', backend: 'images', conditions: [{ kind: 'pathPrefix', values: ['/images/'] }] },
      { name: 'url1', backend: 'images', conditions: [{ kind: 'pathSuffix', values: ['.png'] }] },
      { name: 'url2', backend: 'images', conditions: [{ kind: 'host', values: ['static.example.com'] }] },
    ]);
    expect(model.frontends[0]?.defaultBackend).toBe('web');
  });

  it('refuses a rule to a service of the other mode, naming the rule', () => {
    const error = errorOf(() =>
      layer7Model(
        config({
          layer7: [
            { ...web, urlRules: [{ match: 'path-prefix', value: '/x/', service: 'images' }] },
            { ...images, mode: 'tcp' },
          ],
        }),
        OPTIONS,
      ),
    );
    expect(error).toMatchObject({ code: 'CONFIG_CONFLICT', field: 'layer7[0].urlRules[0].service' });
  });

  it('refuses a rule to no service', () => {
    const error = errorOf(() =>
      layer7Model(
        config({ layer7: [{ ...web, urlRules: [{ match: 'host', value: 'a.example', service: 'gone' }] }] }),
        OPTIONS,
      ),
    );
    expect(error).toMatchObject({ code: 'CONFIG_UNKNOWN_REFERENCE', field: 'layer7[0].urlRules[0].service' });
  });

  it('a host pattern HAProxy cannot match exactly is refused at the rule value', () => {
    const input = {
      layer7: [{ ...web, urlRules: [{ match: 'host' as const, value: '*.example.com', service: 'images' }] }, images],
    };
    // The schema takes the renderer's rule for a host value now; a version stored before it did is refused here.
    expect(configSchema.safeParse(input).success).toBe(false);
    const stored = raw({ ...input, layer7: [{ ...web, urlRules: [] }, images] }, (c) => {
      c.layer7[0]?.urlRules.push({ match: 'host', value: '*.example.com', service: 'images' });
    });
    const error = errorOf(() => renderLayer7(stored, OPTIONS));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', field: 'layer7[0].urlRules[0].value' });
  });
});

describe('layer7Model: health checks', () => {
  const withCheck = (check: NonNullable<ApplianceConfigInput['healthChecks']>[number], extra = {}) =>
    layer7Model(config({ healthChecks: [check], layer7: [{ ...web, ...extra, healthCheck: check.label }] }), OPTIONS);

  it('connect: a TCP check with inter, rise, fall, timeout and port', () => {
    const { model, servers, notes } = withCheck({
      label: 'tcp',
      type: 'connect',
      intervalSeconds: 3,
      timeoutSeconds: 2,
      rise: 4,
      fall: 5,
      port: 9000,
    });
    expect(model.backends[0]).toMatchObject({
      healthCheck: { type: 'tcp', intervalMs: 3000, rise: 4, fall: 5 },
      timeouts: { check: 2000 },
    });
    expect(model.backends[0]?.servers[0]).toEqual({
      name: 'alpha',
      address: '198.51.100.11',
      port: 8080,
      weight: 1,
      check: true,
      checkPort: 9000,
    });
    expect(servers.every((s) => s.checked)).toBe(true);
    expect(notes).toEqual([]);
  });

  it('http: path, Host and expected status', () => {
    const { model } = withCheck({
      label: 'h',
      type: 'http',
      path: '/health',
      host: 'www.example.com',
      expectStatus: 204,
    });
    expect(model.backends[0]?.healthCheck).toEqual({
      type: 'http',
      intervalMs: 10_000,
      rise: 2,
      fall: 3,
      path: '/health',
      host: 'www.example.com',
      expectStatus: 204,
    });
  });

  it('ping runs as a connect check, and says so', () => {
    const { model, notes } = withCheck({ label: 'p', type: 'ping' });
    expect(model.backends[0]?.healthCheck?.type).toBe('tcp');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('cannot send ICMP');
  });

  it('https checks over TLS; http checks also run on a tcp-mode service', () => {
    const https = withCheck({ label: 's', type: 'https', path: '/health' });
    expect(https.model.backends[0]?.healthCheck).toMatchObject({ type: 'http', tls: true, path: '/health' });
    expect(https.notes).toEqual([]);
    const tcp = withCheck({ label: 'h', type: 'http' }, { mode: 'tcp' });
    expect(tcp.model.backends[0]?.healthCheck?.type).toBe('http');
    expect(tcp.notes).toEqual([]);
  });

  it('no check: servers are not checked (HAProxy reports "no check")', () => {
    const { model } = layer7Model(config({ layer7: [web] }), OPTIONS);
    expect(model.backends[0]?.healthCheck).toBeUndefined();
    expect(model.backends[0]?.servers.every((s) => s.check === false)).toBe(true);
  });

  it('an http check path reaches haproxy.cfg quoted, on its own line', () => {
    const { text } = renderLayer7(
      config({
        healthChecks: [{ label: 'h', type: 'http', path: "/it's#here" }],
        layer7: [{ ...web, healthCheck: 'h' }],
      }),
      OPTIONS,
    );
    expect(text).toContain(`http-check send meth GET uri "/it's#here"`);
  });
});

describe('layer7Model: SSL termination', () => {
  const input: ApplianceConfigInput = {
    certificates: [{ label: 'site', file: '/etc/sluice/certs/site.pem' }],
    layer7: [
      { ...web, urlRules: [{ match: 'path-prefix', value: '/images/', service: 'images' }] },
      { label: 'images', vip: '192.0.2.10', ports: [8080] },
    ],
    ssl: [{ label: 'web-tls', certificate: 'site', vip: '192.0.2.10', service: 'web' }],
  };

  it('a TLS frontend on the VIP with the certificate, sending to the service backend with X-Forwarded-Proto', () => {
    const { model } = layer7Model(config(input), OPTIONS);
    expect(model.frontends.find((f) => f.name === 'web-tls')).toEqual({
      name: 'web-tls',
      mode: 'http',
      binds: [
        {
          address: '192.0.2.10',
          ports: [443],
          transparent: true,
          tls: { certificates: ['/etc/sluice/certs/site.pem'] },
        },
      ],
      forwardFor: true,
      forwardedProto: true,
      rules: [{ name: 'url0', backend: 'images', conditions: [{ kind: 'pathPrefix', values: ['/images/'] }] }],
      defaultBackend: 'web',
    });
    const { text } = renderLayer7(config(input), OPTIONS);
    expect(text).toContain('bind 192.0.2.10:443 transparent ssl crt /etc/sluice/certs/site.pem alpn h2,http/1.1');
    expect(text).toContain('http-request set-header X-Forwarded-Proto https if { ssl_fc }');
  });

  it('a certificate path HAProxy cannot take is refused at the certificate', () => {
    const broken = raw(input, (c) => {
      (c.certificates[0] as { file: string }).file = 'relative.pem';
    });
    expect(errorOf(() => renderLayer7(broken, OPTIONS))).toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'certificates[0].file',
    });
  });

  it('refuses a termination for no service or no certificate', () => {
    const noService = raw(input, (c) => {
      (c.ssl[0] as { service: string }).service = 'gone';
    });
    expect(errorOf(() => layer7Model(noService, OPTIONS))).toMatchObject({
      code: 'CONFIG_UNKNOWN_REFERENCE',
      field: 'ssl[0].service',
    });
    const noCert = raw(input, (c) => {
      (c.ssl[0] as { certificate: string }).certificate = 'gone';
    });
    expect(errorOf(() => layer7Model(noCert, OPTIONS))).toMatchObject({
      code: 'CONFIG_UNKNOWN_REFERENCE',
      field: 'ssl[0].certificate',
    });
  });
});

describe('renderLayer7: no user string starts a line of its own', () => {
  const lines = (text: string) => text.split('\n');

  it('the schema already refuses control characters', () => {
    expect(configSchema.safeParse({ layer7: [{ ...web, label: 'web\nfrontend evil' }] }).success).toBe(false);
    expect(configSchema.safeParse({ layer7: [{ ...web, description: 'x\nbind 0.0.0.0:22' }] }).success).toBe(false);
  });

  it('strings that went around the schema are refused by the renderer, at their configuration field', () => {
    const cases: [(c: ApplianceConfig) => void, string][] = [
      [(c) => Object.assign(c.layer7[0] as object, { label: 'web\nfrontend evil' }), 'layer7[0].label'],
      [(c) => Object.assign(c.layer7[0] as object, { description: 'ok\nbind 0.0.0.0:22' }), 'layer7[0].description'],
      [(c) => Object.assign(c.layer7[0]?.realServers[0] as object, { label: 'a b' }), 'layer7[0].realServers[0].label'],
      [
        (c) => Object.assign(c.layer7[0]?.realServers[1] as object, { address: '198.51.100.12\n  server x 1.2.3.4' }),
        'layer7[0].realServers[1]',
      ],
      [(c) => Object.assign(c.layer7[0] as object, { vip: '192.0.2.10 transparent\nlisten x' }), 'layer7[0].vip'],
      [
        (c) =>
          Object.assign(c.layer7[0] as object, {
            urlRules: [{ match: 'path-prefix', value: '/a\nuse_backend evil', service: 'web' }],
          }),
        'layer7[0].urlRules[0].value',
      ],
      [
        (c) =>
          Object.assign(c.layer7[0] as object, {
            persistence: { type: 'cookie-insert', cookieName: 'A\r\nSet-Cookie' },
          }),
        'layer7[0].persistence.cookieName',
      ],
    ];
    for (const [patch, field] of cases) {
      const error = errorOf(() => renderLayer7(raw({ layer7: [web] }, patch), OPTIONS));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.field).toBe(field);
      expect(error.message.startsWith(`${field}:`)).toBe(true);
    }
  });

  it('hostile but valid strings stay inside their one quoted word', () => {
    const hostile = `/a';use_backend#"$HOME`;
    const { text } = renderLayer7(
      config({
        layer7: [
          {
            ...web,
            description: `it's "quoted" # not a comment end`,
            urlRules: [{ match: 'path-prefix', value: hostile, service: 'web' }],
          },
        ],
      }),
      OPTIONS,
    );
    const acl = lines(text).filter((l) => l.includes('acl '));
    expect(acl).toEqual([`    acl url0 path_beg "/a';use_backend#\\"\\$HOME"`]);
    expect(lines(text).filter((l) => l.includes('use_backend'))).toEqual([
      `    acl url0 path_beg "/a';use_backend#\\"\\$HOME"`,
      '    use_backend web if url0',
    ]);
    expect(lines(text).filter((l) => /^\S/.test(l) && !l.startsWith('#'))).toEqual([
      'global',
      'defaults',
      'frontend web',
      'backend web',
    ]);
  });

  it('the same configuration gives the same bytes', () => {
    const c = config({ layer7: [web], healthChecks: [{ label: 'h', type: 'http' }] });
    expect(renderLayer7(c, OPTIONS).text).toBe(renderLayer7(structuredClone(c), OPTIONS).text);
  });
});
