// Runs rendered configurations through Debian's real haproxy (`haproxy -c`): no root needed.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HaproxyConfig, render, type TlsPolicy, validate } from '../src/index.js';
import { fullModel } from './fixtures/full-model.js';
import { makeTestPki } from './helpers/tls.js';

let pki: Awaited<ReturnType<typeof makeTestPki>>;

beforeAll(async () => {
  pki = await makeTestPki();
  // HAProxy warns when the state file it should load is absent; the supervisor writes it.
  await writeFile(join(pki.dir, 'state'), '1\n');
});
afterAll(async () => {
  await rm(pki.dir, { recursive: true, force: true });
});

function model(): HaproxyConfig {
  return fullModel({ dir: pki.dir, adminSocket: join(pki.dir, 'admin.sock'), stateFile: join(pki.dir, 'state') });
}

describe('validate with the real haproxy', () => {
  it('accepts the model that uses every feature, without a warning', async () => {
    const result = await validate(model());
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it.each<TlsPolicy>(['modern', 'intermediate', 'legacy'])(
    'accepts the %s TLS policy globally and on a bind',
    async (policy) => {
      const result = await validate({
        global: { tlsPolicy: policy, adminSocket: false },
        frontends: [
          {
            name: 'tls',
            binds: [{ address: '::', ports: [443], tls: { certificates: [pki.site], policy } }],
            defaultBackend: 'b',
          },
        ],
        backends: [{ name: 'b', servers: [{ name: 's', address: '192.0.2.1', port: 80 }] }],
      });
      expect(result.diagnostics).toEqual([]);
      expect(result.valid).toBe(true);
    },
  );

  it('accepts an HTTPS health check on a tcp-mode backend (check-ssl without verification)', async () => {
    const config: HaproxyConfig = {
      global: { adminSocket: false },
      frontends: [{ name: 'rdp', mode: 'tcp', binds: [{ address: '::', ports: [3389] }], defaultBackend: 'b' }],
      backends: [
        {
          name: 'b',
          mode: 'tcp',
          healthCheck: { type: 'http', path: '/health', tls: true },
          servers: [
            { name: 'plain', address: '192.0.2.1', port: 3389, checkPort: 443 },
            { name: 'reencrypted', address: '192.0.2.2', port: 443, tls: { verify: 'none' } },
          ],
        },
      ],
    };
    const text = render(config);
    expect(text).toMatch(/^\s+option httpchk$/m);
    expect(text).toMatch(/server plain 192\.0\.2\.1:3389 check port 443 check-ssl verify none$/m);
    expect(text).not.toMatch(/server reencrypted .*check-ssl/);
    const result = await validate(config);
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('accepts dash-leading ACL patterns, quoted or not, and means them as patterns (#17 item 10)', async () => {
    const config: HaproxyConfig = {
      global: { adminSocket: false },
      frontends: [
        {
          name: 'f',
          binds: [{ address: '::', ports: [80] }],
          rules: [
            { name: 'spaced', backend: 'b', conditions: [{ kind: 'pathPrefix', values: ['-a b'] }] },
            { name: 'quoted', backend: 'b', conditions: [{ kind: 'pathExact', values: ["-it's"] }] },
            { name: 'regex', backend: 'b', conditions: [{ kind: 'pathRegex', values: ['-[0-9] x'] }] },
          ],
          defaultBackend: 'b',
        },
      ],
      backends: [
        { name: 'b', persistence: { type: 'source' }, servers: [{ name: 's', address: '192.0.2.1', port: 80 }] },
      ],
    };
    const result = await validate(config);
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.text).toContain(`acl quoted path -- "-it's"`);
  });

  it('reports the line and message of what HAProxy refuses', async () => {
    const text = [
      'global',
      '    master-worker',
      'defaults',
      '    mode http',
      '    timeout client 1s',
      '    nonsense here',
      '',
    ].join('\n');
    const result = await validate(text);
    expect(result.valid).toBe(false);
    expect(result.diagnostics).toContainEqual({
      severity: 'alert',
      line: 6,
      message: "unknown keyword 'nonsense' in 'defaults' section",
    });
  });

  it('reports a missing certificate on its line', async () => {
    const result = await validate({
      global: { adminSocket: false },
      frontends: [
        {
          name: 'f',
          binds: [{ address: '0.0.0.0', ports: [443], tls: { certificates: [join(pki.dir, 'absent.pem')] } }],
        },
      ],
      backends: [],
    });
    expect(result.valid).toBe(false);
    const alert = result.diagnostics.find((d) => d.severity === 'alert' && d.line !== undefined);
    expect(alert?.line).toBe(result.text.split('\n').findIndex((l) => l.includes('absent.pem')) + 1);
    expect(alert?.message).toContain('absent.pem');
  });

  it('returns warnings with a valid verdict', async () => {
    const result = await validate(['defaults', '    mode http', 'frontend f', '    bind 127.0.0.1:1', ''].join('\n'));
    expect(result.valid).toBe(true);
    expect(result.diagnostics.some((d) => d.severity === 'warning' && /missing timeouts/.test(d.message))).toBe(true);
  });

  it('fails with HAPROXY_BINARY_MISSING when the binary is absent', async () => {
    await expect(validate('global\n', { binary: '/nonexistent/haproxy' })).rejects.toMatchObject({
      code: 'HAPROXY_BINARY_MISSING',
    });
  });
});
