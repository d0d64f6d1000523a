import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from './harness.js';

let h: Harness;
let admin: Client;
beforeEach(async () => {
  h = await startHarness();
  admin = await h.admin();
});
afterEach(() => h.close());

/** A raw request, for what fetch will not send (bad encodings, lying lengths, chunked bodies). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string | (Buffer | string)[],
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const url = new URL(h.base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    for (const chunk of Array.isArray(body) ? body : body === undefined ? [] : [body]) req.write(chunk);
    req.end();
  });
}

describe('HTTP handling', () => {
  it('security headers on every answer', async () => {
    for (const answer of [
      await admin.get('/api/v1/status'),
      await admin.get('/api/v1/nope'),
      await h.client().get('/api/v1/health'),
    ]) {
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('health needs no login; everything else does', async () => {
    const health = await h.client().get('/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok' });
    const denied = await h.client().get('/api/v1/config');
    expect(denied.status).toBe(401);
    expect(denied.body).toEqual({ error: { code: 'AUTH_REQUIRED', message: expect.any(String) } });
  });

  it('404 for unknown paths, 405 with Allow, HEAD and OPTIONS', async () => {
    expect((await admin.get('/api/v1/nothing')).body.error.code).toBe('API_NOT_FOUND');
    expect((await admin.get('/elsewhere')).status).toBe(404);
    const method = await admin.request('PATCH', '/api/v1/config', {});
    expect(method.status).toBe(405);
    expect(method.body.error.code).toBe('API_METHOD_NOT_ALLOWED');
    expect(method.headers.get('allow')).toBe('GET, PUT, HEAD, OPTIONS');
    const head = await admin.request('HEAD', '/api/v1/config');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    const options = await admin.request('OPTIONS', '/api/v1/layer4/services');
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
    expect((await admin.get('/api/v1/status/')).status).toBe(200);
    // HEAD on an event stream answers its headers and ends.
    const events = await admin.request('HEAD', '/api/v1/status/events');
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  });

  it('415 for non-JSON bodies, 400 for malformed JSON, invalid UTF-8 or deep nesting', async () => {
    const url = `/api/v1/health-checks?version=${await admin.version()}`;
    const form = await admin.post(url, 'label=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('API_UNSUPPORTED_MEDIA_TYPE');
    expect((await admin.post(url, '{}', { 'content-type': 'application/json; charset=latin1' })).status).toBe(415);
    const broken = await admin.post(url, '{"label": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: '(body)' });
    expect((await admin.post(url, new Uint8Array([0x7b, 0xff, 0x7d]))).status).toBe(400);
    expect((await admin.post(url, '[]')).status).toBe(400);
    expect((await admin.post(url, 'null')).status).toBe(400);
    expect((await admin.post(url, `${'['.repeat(10_000)}${']'.repeat(10_000)}`)).body.error.message).toContain(
      'nests deeper',
    );
    expect((await admin.post(url, '')).status).toBe(400);
  });

  it('413 for bodies over the limit, announced or streamed; PUT /config takes more', async () => {
    const cookie = admin.cookie as string;
    const csrf = admin.csrf as string;
    const base = { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' };
    const version = await admin.version();
    const big = Buffer.alloc(1024 * 1024 + 10, 0x20);
    const announced = await raw(
      'POST',
      `/api/v1/health-checks?version=${version}`,
      { ...base, 'content-length': String(big.length) },
      big,
    );
    expect(announced.status).toBe(413);
    expect(JSON.parse(announced.text).error.code).toBe('API_BODY_TOO_LARGE');
    const chunks = Array.from({ length: 20 }, () => Buffer.alloc(64 * 1024, 0x20));
    const streamed = await raw(
      'POST',
      `/api/v1/health-checks?version=${version}`,
      { ...base, 'transfer-encoding': 'chunked' },
      chunks,
    );
    expect(streamed.status).toBe(413);
    // 2 MiB of whitespace around an invalid document: over 1 MiB, under PUT /config's 64 MiB.
    const padded = `${' '.repeat(2 * 1024 * 1024)}{"layer4":1}`;
    const config = await raw(
      'PUT',
      `/api/v1/config?version=${version}`,
      { ...base, 'content-length': String(padded.length) },
      padded,
    );
    expect(config.status, config.text).toBe(422); // accepted as a body, then refused by the validation
    expect(h.store.current().version).toBe(version);
  });

  it('unknown or repeated query parameters and bad encodings are 400', async () => {
    expect((await admin.get('/api/v1/config?debug=1')).body.error).toMatchObject({
      code: 'API_BAD_REQUEST',
      field: 'debug',
    });
    expect((await admin.get('/api/v1/config/versions?limit=1&limit=2')).status).toBe(400);
    const badPercent = await raw('GET', '/api/v1/layer4/services/%E0%A4%A', { cookie: admin.cookie as string });
    expect(badPercent.status).toBe(400);
    expect((await raw('GET', '//', {})).status).toBeLessThan(500);
    expect((await raw('GET', `/api/v1/${'a'.repeat(9000)}`, {})).status).toBe(400);
  });

  it('floating IPs are addressed URL-encoded', async () => {
    await admin.post(`/api/v1/floating-ips?version=${await admin.version()}`, { address: '192.0.2.50/24' });
    expect((await admin.get('/api/v1/floating-ips/192.0.2.50%2F24')).body.item).toEqual({ address: '192.0.2.50/24' });
  });

  it('health tells only "up" without a login; the version and capabilities with one', async () => {
    expect((await h.client().get('/api/v1/health')).body).toEqual({ status: 'ok' });
    const bad = await h.client().get('/api/v1/health', { authorization: 'Bearer sluice_0000000000000000.nope' });
    expect(bad.body).toEqual({ status: 'ok' });
    const full = await admin.get('/api/v1/health');
    expect(full.body).toMatchObject({ status: 'ok', version: '0.0.0-test', capabilities: [] });
    expect(typeof full.body.uptimeSeconds).toBe('number');
  });

  it('routes without a body refuse one (an empty object is tolerated)', async () => {
    h.ha.setPair('passive');
    for (const body of ['[]', '[{}]', '0', '""', 'null', '{"now":true}']) {
      const refused = await admin.post('/api/v1/ha/takeover', body);
      expect(refused.status, body).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: '(body)' });
    }
    expect(h.ha.status().state).toBe('passive');
    expect((await admin.post('/api/v1/ha/takeover', {})).status).toBe(200);
    expect((await admin.post('/api/v1/ha/standby', { now: true })).status).toBe(400);
  });
});

describe('faults of the appliance', () => {
  it('are 500 API_INTERNAL without the detail, which goes to the system log', async () => {
    h.engine.connections = async () => {
      throw new Error('secret detail of a broken engine');
    };
    const answer = await admin.get('/api/v1/reports/connections');
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('API_INTERNAL');
    expect(answer.text).not.toContain('secret detail');
    const system = (await admin.get('/api/v1/logs?channel=system&level=error')).body.records;
    expect(system.at(-1).message).toContain('secret detail of a broken engine');
  });

  it('a peer that refuses a role change is 502 HA_PEER', async () => {
    const { ApplianceError } = await import('../../src/errors.js');
    h.ha.setPair('passive');
    h.ha.takeover = async () => {
      throw new ApplianceError('HA_PEER', 'the peer did not answer');
    };
    const answer = await admin.post('/api/v1/ha/takeover');
    expect(answer.status).toBe(502);
    expect(answer.body.error.code).toBe('HA_PEER');
  });
});

describe('HA routes', () => {
  it('status, takeover, standby; HA_DISABLED when standalone', async () => {
    expect((await admin.get('/api/v1/ha')).body).toMatchObject({ enabled: false, role: 'standalone' });
    const disabled = await admin.post('/api/v1/ha/takeover');
    expect(disabled.status).toBe(409);
    expect(disabled.body.error.code).toBe('HA_DISABLED');
    h.ha.setPair('passive');
    expect((await admin.post('/api/v1/ha/takeover')).body.state).toBe('active');
    expect((await admin.post('/api/v1/ha/standby')).body.state).toBe('passive');
    const replica = await h.client().put('/api/v1/ha/replica', { anything: 1 });
    expect(replica.status).toBe(409);
    expect(replica.body.error.code).toBe('HA_DISABLED');
  });
});

describe('replication from the peer', () => {
  it('hands the request, its body unread, to the HA receiver, with no user login', async () => {
    await h.close();
    const received: { body: string; signature: unknown }[] = [];
    h = await startHarness({
      replicaReceiver: async (req) => {
        const { headers } = req;
        // The receiver reads the body itself: the router left it unread.
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: headers['x-sluice-signature'] });
        if (headers['x-sluice-signature'] !== 'good') {
          const { ApplianceError } = await import('../../src/errors.js');
          throw new ApplianceError('AUTH_FAILED', 'bad signature');
        }
        return { accepted: 7 };
      },
    });
    const peer = h.client();
    const ok = await peer.put('/api/v1/ha/replica', 'sealed bytes', {
      'content-type': 'application/octet-stream',
      'x-sluice-signature': 'good',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ accepted: 7 });
    expect(received[0]).toEqual({ body: 'sealed bytes', signature: 'good' });
    const forged = await peer.put('/api/v1/ha/replica', 'x', {
      'content-type': 'application/octet-stream',
      'x-sluice-signature': 'bad',
    });
    expect(forged.status).toBe(401);
  });
});

describe('OpenAPI', () => {
  it('lists every route of the router with its method', async () => {
    const doc = (await admin.get('/api/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const route of h.api.routes) {
      const path = route.root ? route.path : `/api/v1${route.path}`;
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path}`).toBeDefined();
    }
    const count = Object.values(doc.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(count).toBe(h.api.routes.length);
    // A model schema is a component, the request's (input: defaults optional) apart from the answer's.
    expect(doc.paths['/api/v1/layer4/services'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Layer4ServiceInput',
    });
    expect(doc.components.schemas.Layer4ServiceInput.properties.vip).toBeDefined();
    expect(doc.paths['/api/v1/session'].post.security).toEqual([]);
    expect(
      Object.keys(doc.paths['/api/v1/users'].post.requestBody.content['application/json'].schema.properties),
    ).toContain('password');
    expect(doc.components.schemas.Config.properties.layer4).toBeDefined();
    // A route added later is in the next document.
    h.api.addRoutes([
      {
        method: 'GET',
        path: '/extra',
        summary: 'added',
        tag: 'test',
        access: 'read',
        handler: async () => ({ body: {} }),
      },
    ]);
    expect((await admin.get('/api/v1/openapi.json')).body.paths['/api/v1/extra'].get.summary).toBe('added');
    expect((await admin.get('/api/v1/extra')).status).toBe(200);
  });
});
