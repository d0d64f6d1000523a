import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateUploadRoutes } from '../../src/api/routes/certificates-upload.js';
import { webPortsRoutes } from '../../src/api/routes/web-ports.js';
import { ApplianceError } from '../../src/errors.js';
import { notManagedStatus } from '../../src/host-network/control.js';
import { openWebCertificates } from '../../src/web/index.js';
import { ecmpConfig } from '../fixtures/ecmp-config.js';
import { type Client, type Harness, layer4Service, startHarness } from './harness.js';

// Every route of the running API, called with valid requests and with failing ones; every
// answer (status, content type, body, ETag) checked against GET /api/v1/openapi.json with
// ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1). A route nobody calls here fails
// the last test: a new route needs its calls, and a handler that answers something its
// schema does not allow fails the call that got it.

type Json = Record<string, unknown>;

let h: Harness;
let admin: Client;
let doc: Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
// zod's address-with-prefix formats, which the configuration's schema uses.
const cidr = (family: 4 | 6) => (text: string) => {
  const [address, prefix, ...rest] = text.split('/');
  const max = family === 4 ? 32 : 128;
  return rest.length === 0 && isIP(address ?? '') === family && /^\d{1,3}$/.test(prefix ?? '') && Number(prefix) <= max;
};
ajv.addFormat('cidrv4', { type: 'string', validate: cidr(4) });
ajv.addFormat('cidrv6', { type: 'string', validate: cidr(6) });

/** `METHOD /template` of each call answered with a success, and of each answered with an error. */
const succeeded = new Set<string>();
const failed = new Set<string>();
const problems: string[] = [];

const pointerSegment = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

function templateOf(method: string, path: string): string | undefined {
  for (const template of Object.keys(doc.paths as Json)) {
    const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (pattern.test(path) && (doc.paths as Record<string, Json>)[template]?.[method.toLowerCase()] !== undefined) {
      return template;
    }
  }
  return undefined;
}

interface Sent {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/**
 * One request, checked against the document. `stream`: an event stream, read up to its
 * first event and then dropped.
 */
async function call(
  client: Client | undefined,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; stream?: boolean } = {},
): Promise<Sent> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  if (client?.cookie) headers.cookie = client.cookie;
  if (client?.bearer) headers.authorization = `Bearer ${client.bearer}`;
  if (client?.csrf && method !== 'GET') headers['x-csrf-token'] ??= client.csrf;
  const abort = new AbortController();
  const response = await fetch(`${h.base}${path}`, {
    method,
    headers,
    signal: abort.signal,
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  let text: string;
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    text = new TextDecoder().decode(first.value);
    abort.abort();
  } else text = await response.text();
  let body: unknown;
  if (type.startsWith('application/json')) body = JSON.parse(text);
  check(method, path, response.status, response.headers, body, text);
  return { status: response.status, headers: response.headers, body, text };
}

function check(method: string, full: string, status: number, headers: Headers, body: unknown, text: string) {
  const path = full.split('?')[0] as string;
  const template = templateOf(method, path);
  const where = `${method} ${full} -> ${status}`;
  if (template === undefined) {
    problems.push(`${where}: no operation in the document`);
    return;
  }
  const key = `${method} ${template}`;
  (status < 400 ? succeeded : failed).add(key);
  const operation = (doc.paths as Record<string, Record<string, Json>>)[template]?.[method.toLowerCase()] as Json;
  const response = (operation.responses as Record<string, Json>)[String(status)];
  if (response === undefined) {
    problems.push(`${where}: status not documented (${text.slice(0, 200)})`);
    return;
  }
  const content = response.content as Record<string, Json> | undefined;
  const type = headers.get('content-type') ?? '';
  if (content === undefined) {
    if (text !== '') problems.push(`${where}: a body where the document says none`);
  } else {
    const documented = Object.keys(content);
    const media = documented.find((m) => type.startsWith(m.split(';')[0] as string));
    if (media === undefined) problems.push(`${where}: content type ${type} is not among ${documented.join(', ')}`);
    else if (media === 'text/plain; version=0.0.4' && !type.includes('version=0.0.4'))
      problems.push(`${where}: ${type} lacks version=0.0.4`);
    else if (media === 'application/json') {
      const pointer = `openapi.json#/paths/${pointerSegment(template)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
      const validate = ajv.getSchema(pointer);
      if (validate === undefined) problems.push(`${where}: no schema at ${pointer}`);
      else if (!validate(body)) {
        problems.push(`${where}: ${ajv.errorsText(validate.errors, { separator: '; ' }).slice(0, 600)}`);
      }
    }
  }
  const declared = Object.keys((response.headers as Json | undefined) ?? {}).map((name) => name.toLowerCase());
  if (headers.has('etag') && !declared.includes('etag'))
    problems.push(`${where}: an ETag the document does not declare`);
  if (declared.includes('etag') && status < 300 && !headers.has('etag')) problems.push(`${where}: no ETag`);
  if (headers.has('location') && !declared.includes('location'))
    problems.push(`${where}: a Location the document does not declare`);
  if (declared.includes('location') && !headers.has('location')) problems.push(`${where}: no Location`);
}

const version = async () => (await admin.get('/api/v1/config')).body.version as number;

beforeAll(async () => {
  h = await startHarness({
    // A peer's replica: signed (as far as this fake goes) when it says so.
    replicaReceiver: async (req) => {
      for await (const _chunk of req) {
        // the body is the peer's; this fake only reads it
      }
      if (req.headers['x-test-signed'] !== 'yes') throw new ApplianceError('AUTH_FAILED', 'not signed by the peer');
      return { node: 'lbslave', head: { version: 1, time: '2026-01-01T00:00:00.000Z' }, accepted: [], active: false };
    },
    // A host network with a trial to confirm.
    hostNetwork: () => ({
      managed: false,
      status: () => notManagedStatus(),
      confirm: async () => ({ ...notManagedStatus(), notes: ['confirmed'] }),
    }),
  });
  const web = await openWebCertificates({ dir: join(h.dir, 'web-tls'), names: ['lb.example.test'], now: h.clock.now });
  h.api.addRoutes(certificateUploadRoutes(web, h.logs, join(h.dir, 'certificates')));
  h.api.addRoutes(webPortsRoutes(() => ({ httpPort: 9080, httpsPort: 9443 })));
  admin = await h.admin();
  const answer = await admin.get('/api/v1/openapi.json');
  if (answer.status !== 200) throw new Error(`GET /openapi.json: ${answer.status} ${answer.text}`);
  doc = answer.body;
  ajv.addSchema(doc, 'openapi.json');
});
afterAll(() => h?.close());

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('gives every operation a success schema, typed parameters and the Error schema for its errors', () => {
    const routes = h.api.routes;
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, operation] of Object.entries(item)) {
        operations++;
        const responses = operation.responses as Record<string, Json>;
        const successes = Object.keys(responses).filter((s) => Number(s) < 300);
        expect(successes.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const status of successes) {
          const content = responses[status]?.content as Record<string, Json> | undefined;
          expect(content, `${method} ${path} ${status}`).toBeDefined();
          const schema = (content as Record<string, Json>)['application/json']?.schema as Json | undefined;
          // An empty schema allows anything: no schema at all.
          if (schema !== undefined) expect(Object.keys(schema).length, `${method} ${path}`).toBeGreaterThan(0);
        }
        expect(responses['500'], `${method} ${path}`).toBeDefined();
        for (const [status, response] of Object.entries(responses)) {
          if (Number(status) < 400) continue;
          expect(response.content, `${method} ${path} ${status}`).toEqual({
            'application/json': { schema: { $ref: '#/components/schemas/Error' } },
          });
        }
        for (const parameter of (operation.parameters ?? []) as Json[]) {
          expect(Object.keys(parameter.schema as Json).length, `${method} ${path} ${parameter.name}`).toBeGreaterThan(
            0,
          );
        }
      }
    }
    expect(operations).toBe(routes.length);
  });

  it('types parameters: a version is an integer, a layer an enum, a write query its own fields', () => {
    const paths = doc.paths as Record<string, Record<string, Json>>;
    const params = (path: string, method: string) =>
      Object.fromEntries(
        ((paths[path]?.[method]?.parameters ?? []) as Json[]).map((p) => [p.name as string, p.schema as Json]),
      );
    expect(params('/api/v1/config/versions/{version}', 'get').version).toMatchObject({ type: 'integer', minimum: 1 });
    expect(params('/api/v1/runtime/{layer}/services/{service}', 'post').layer).toMatchObject({
      enum: ['layer4', 'layer7'],
    });
    expect(params('/api/v1/layer4/services', 'post').wait).toMatchObject({ enum: ['applied'] });
    expect(params('/api/v1/logs', 'get').level).toMatchObject({ enum: ['debug', 'info', 'warn', 'error'] });
    const responses = paths['/api/v1/layer4/services']?.post?.responses as Record<string, Json>;
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(['201', '409', '412', '422', '428']));
    expect(Object.keys(paths['/api/v1/config']?.get?.responses as Json)).toContain('304');
  });
});

/** A Layer 4 service as the store keeps it (defaults filled in), taken from the API. */
let storedService: Json | undefined;
const layer4ServiceStored = () => storedService as Json;

describe('every route answers as the document says', () => {
  it('configuration, collections and singletons', async () => {
    const v = async () => `version=${await version()}`;
    const reader = h.client();
    expect(
      (
        await call(admin, 'POST', `/api/v1/users?${await v()}`, {
          body: { username: 'viewer', password: 'a long read-only pass', role: 'readonly' },
        })
      ).status,
    ).toBe(201);
    await reader.login('viewer', 'a long read-only pass');

    await call(admin, 'GET', '/api/v1/config');
    const etag = (await call(admin, 'GET', '/api/v1/config')).headers.get('etag') as string;
    expect((await call(admin, 'GET', '/api/v1/config', { headers: { 'if-none-match': etag } })).status).toBe(304);

    // Collections: add, list, read, replace; removal at the end.
    const add = async (path: string, body: unknown) => {
      const answer = await call(admin, 'POST', `${path}?${await v()}`, { body });
      expect(answer.status, answer.text).toBe(201);
    };
    await add('/api/v1/layer4/services', layer4Service('web'));
    await add('/api/v1/layer4/services/web/real-servers', { label: 'charlie', address: '198.51.100.23', port: 8080 });
    await add('/api/v1/layer7/services', {
      label: 'site',
      vip: '192.0.2.11',
      ports: [80],
      realServers: [{ label: 'a', address: '198.51.100.31' }],
    });
    await add('/api/v1/layer7/services/site/real-servers', { label: 'b', address: '198.51.100.32' });
    await add('/api/v1/health-checks', { label: 'chk', type: 'ping' });
    await add('/api/v1/certificates', { label: 'cert', file: '/etc/sluice/cert.pem' });
    await add('/api/v1/ssl', { label: 'tls', certificate: 'cert', vip: '192.0.2.11', service: 'site' });
    await add('/api/v1/floating-ips', { address: '192.0.2.50/24' });
    await add('/api/v1/users', { username: 'operator', password: 'a long operator pass', role: 'admin' });

    const items: [string, string][] = [
      ['/api/v1/layer4/services', 'web'],
      ['/api/v1/layer4/services/web/real-servers', 'charlie'],
      ['/api/v1/layer7/services', 'site'],
      ['/api/v1/layer7/services/site/real-servers', 'b'],
      ['/api/v1/health-checks', 'chk'],
      ['/api/v1/certificates', 'cert'],
      ['/api/v1/ssl', 'tls'],
      ['/api/v1/floating-ips', encodeURIComponent('192.0.2.50/24')],
      ['/api/v1/users', 'operator'],
    ];
    for (const [list, key] of items) {
      await call(admin, 'GET', list);
      await call(reader, 'GET', list);
      const got = await call(admin, 'GET', `${list}/${key}`);
      expect(got.status, got.text).toBe(200);
      await call(reader, 'GET', `${list}/${key}`);
      if (list === '/api/v1/layer4/services') storedService = (got.body as Json).item as Json;
      const { item } = got.body as { item: Json };
      const body = list === '/api/v1/users' ? { role: 'admin', password: 'another operator pass' } : item;
      const put = await call(admin, 'PUT', `${list}/${key}?${await v()}`, { body });
      expect(put.status, put.text).toBe(200);
      // Failing: no such item, no version, a stale one, a read-only user.
      expect((await call(admin, 'GET', `${list}/nothing-here`)).status).toBe(404);
      expect((await call(admin, 'PUT', `${list}/${key}`, { body })).status).toBe(428);
      expect((await call(admin, 'PUT', `${list}/${key}?version=1`, { body })).status).toBe(409);
      expect((await call(reader, 'POST', `${list}?${await v()}`, { body })).status).toBe(403);
      expect((await call(admin, 'DELETE', `${list}/nothing-here?${await v()}`)).status).toBe(404);
    }
    // A refused write: 422 with every issue.
    const refused = await call(admin, 'POST', `/api/v1/layer4/services?${await v()}`, {
      body: { ...layer4Service('twin'), vip: '192.0.2.10' },
    });
    expect([400, 422]).toContain(refused.status);

    // Singletons.
    const heartbeat = {
      enabled: false,
      peer: { name: 'lbslave', address: '203.0.113.2' },
      links: [{ interface: 'eth0' }],
      key: 'a heartbeat key of some length',
    };
    expect((await call(admin, 'PUT', `/api/v1/heartbeat?${await v()}`, { body: heartbeat })).status).toBe(200);
    await call(admin, 'GET', '/api/v1/heartbeat');
    await call(reader, 'GET', '/api/v1/heartbeat');
    expect((await call(admin, 'PUT', `/api/v1/ipvs?${await v()}`, { body: { ownership: 'own' } })).status).toBe(200);
    await call(admin, 'GET', '/api/v1/ipvs');
    for (const path of ['/api/v1/network', '/api/v1/administration']) {
      const got = await call(admin, 'GET', path);
      await call(reader, 'GET', path);
      const put = await call(admin, 'PUT', `${path}?${await v()}`, { body: (got.body as Json).item });
      expect(put.status, put.text).toBe(200);
      expect([400, 422]).toContain(
        (await call(admin, 'PUT', `${path}?${await v()}`, { body: { nonsense: 1 } })).status,
      );
    }
    for (const path of ['/api/v1/heartbeat', '/api/v1/ipvs']) {
      expect((await call(admin, 'DELETE', `${path}?${await v()}`)).status).toBe(200);
      expect((await call(admin, 'DELETE', `${path}?${await v()}`)).status).toBe(404);
      expect((await call(admin, 'GET', path)).status).toBe(200);
    }

    // Removals.
    for (const [list, key] of [...items].reverse()) {
      if (list === '/api/v1/certificates' || list === '/api/v1/layer7/services') continue;
      const removed = await call(admin, 'DELETE', `${list}/${key}?${await v()}`);
      expect(removed.status, removed.text).toBe(200);
    }
    for (const [list, key] of [
      ['/api/v1/layer7/services', 'site'],
      ['/api/v1/certificates', 'cert'],
    ]) {
      expect((await call(admin, 'DELETE', `${list}/${key}?${await v()}`)).status).toBe(200);
    }

    // Whole configuration, history, diff, rollback, batch, import.
    const current = (await call(admin, 'GET', '/api/v1/config')).body as Json;
    const put = await call(admin, 'PUT', `/api/v1/config?${await v()}&wait=applied`, { body: current.config });
    expect(put.status, put.text).toBe(200);
    expect((put.body as Json).applied, 'the apply report, checked against its schema').toBeDefined();
    const byIfMatch = await call(admin, 'PUT', '/api/v1/config', {
      body: current.config,
      headers: { 'if-match': `"${await version()}"` },
    });
    expect(byIfMatch.status, byIfMatch.text).toBe(200);
    expect([409, 412]).toContain(
      (await call(admin, 'PUT', '/api/v1/config', { body: current.config, headers: { 'if-match': '"1"' } })).status,
    );
    expect((await call(admin, 'PUT', '/api/v1/config', { body: current.config })).status).toBe(428);
    await call(admin, 'GET', '/api/v1/config', { headers: { 'if-none-match': '"1"' } });
    await call(reader, 'GET', '/api/v1/config');
    await call(admin, 'GET', '/api/v1/config/versions?limit=5');
    expect((await call(admin, 'GET', '/api/v1/config/versions?limit=0')).status).toBe(400);
    await call(admin, 'GET', '/api/v1/config/versions/2');
    await call(reader, 'GET', '/api/v1/config/versions/2');
    expect((await call(admin, 'GET', '/api/v1/config/versions/abc')).status).toBe(400);
    expect((await call(admin, 'GET', '/api/v1/config/versions/99999')).status).toBe(404);
    await call(admin, 'GET', '/api/v1/config/diff');
    await call(admin, 'GET', '/api/v1/config/diff?from=1&to=3');
    expect((await call(admin, 'GET', '/api/v1/config/diff?from=x')).status).toBe(400);
    const rolled = await call(admin, 'POST', `/api/v1/config/rollback?${await v()}`, { body: { to: 2 } });
    expect(rolled.status, rolled.text).toBe(200);
    expect((await call(admin, 'POST', `/api/v1/config/rollback?${await v()}`, { body: { to: 'x' } })).status).toBe(400);
    const batch = await call(admin, 'POST', `/api/v1/batch?${await v()}`, {
      body: {
        operations: [{ method: 'POST', path: '/layer4/services', body: layer4Service('batched', '192.0.2.12') }],
      },
    });
    expect(batch.status, batch.text).toBe(200);
    expect((await call(admin, 'POST', `/api/v1/batch?${await v()}`, { body: { operations: [] } })).status).toBe(400);
    const upload = {
      format: 'ipvsadm',
      file: 'rules',
      files: { rules: '-A -t 192.0.2.60:80 -s wlc\n-a -t 192.0.2.60:80 -r 198.51.100.60:80 -m\n' },
    };
    const preview = await call(admin, 'POST', '/api/v1/config/import', { body: upload });
    expect(preview.status, preview.text).toBe(200);
    const applied = await call(admin, 'POST', `/api/v1/config/import/apply?${await v()}`, { body: upload });
    expect(applied.status, applied.text).toBe(200);
    expect((await call(admin, 'POST', '/api/v1/config/import', { body: { format: 'nginx' } })).status).toBe(400);
    expect((await call(admin, 'POST', '/api/v1/config/import/apply', { body: upload })).status).toBe(428);
  });

  it('session, tokens, status, reports, logs, runtime, HA, network, certificates, maintenance', async () => {
    const anonymous = undefined;
    await call(anonymous, 'GET', '/api/v1/health');
    await call(admin, 'GET', '/api/v1/health');
    expect((await call(anonymous, 'GET', '/api/v1/health?x=1')).status).toBe(400);
    expect((await call(anonymous, 'GET', '/api/v1/openapi.json')).status).toBe(401);
    await call(admin, 'GET', '/api/v1/openapi.json');
    await call(admin, 'GET', '/metrics');
    expect((await call(anonymous, 'GET', '/metrics')).status).toBe(401);

    const client = h.client();
    const login = await call(client, 'POST', '/api/v1/session', {
      body: { username: 'admin', password: 'correct horse battery' },
    });
    expect(login.status, login.text).toBe(200);
    client.cookie = `sluice_session=${/sluice_session=([^;]*)/.exec(login.headers.get('set-cookie') ?? '')?.[1]}`;
    client.csrf = (login.body as Json).csrfToken as string;
    expect(
      (await call(anonymous, 'POST', '/api/v1/session', { body: { username: 'admin', password: 'wrong' } })).status,
    ).toBe(401);
    await call(client, 'GET', '/api/v1/session');
    expect((await call(anonymous, 'GET', '/api/v1/session')).status).toBe(401);
    const changed = await call(client, 'POST', '/api/v1/session/password', {
      body: { current: 'correct horse battery', new: 'correct horse battery 2' },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(
      (
        await call(client, 'POST', '/api/v1/session/password', {
          body: { current: 'wrong', new: 'whatever else long' },
        })
      ).status,
    ).toBe(401);
    expect((await call(client, 'DELETE', '/api/v1/session')).status).toBe(200);
    expect((await call(anonymous, 'DELETE', '/api/v1/session')).status).toBe(401);
    admin = h.client();
    await admin.login('admin', 'correct horse battery 2');

    const token = await call(admin, 'POST', '/api/v1/tokens', { body: { name: 'ci' } });
    expect(token.status, token.text).toBe(201);
    expect((await call(admin, 'POST', '/api/v1/tokens', { body: { name: '' } })).status).toBe(400);
    await call(admin, 'GET', '/api/v1/tokens');
    expect((await call(anonymous, 'GET', '/api/v1/tokens')).status).toBe(401);
    expect((await call(admin, 'DELETE', `/api/v1/tokens/${(token.body as Json).id}`)).status).toBe(200);
    expect((await call(admin, 'DELETE', '/api/v1/tokens/nothing')).status).toBe(404);

    const v = async () => `version=${await version()}`;
    await call(admin, 'POST', `/api/v1/layer4/services?${await v()}`, { body: layer4Service('web') });
    await call(admin, 'GET', '/api/v1/status');
    await call(admin, 'GET', '/api/v1/status/events', { stream: true });
    expect((await call(admin, 'GET', '/api/v1/status/events?x=1')).status).toBe(400);
    await call(admin, 'GET', '/api/v1/reports/connections');
    await call(admin, 'GET', '/api/v1/reports/layer7');
    await call(admin, 'GET', '/api/v1/reports/traffic?minutes=5');
    expect((await call(admin, 'GET', '/api/v1/reports/traffic?minutes=0')).status).toBe(400);
    expect((await call(admin, 'GET', '/api/v1/reports/traffic?service=nothing')).status).toBe(400);
    await call(admin, 'GET', '/api/v1/logs?channel=audit,system&level=info&limit=5');
    expect((await call(admin, 'GET', '/api/v1/logs?level=loud')).status).toBe(400);
    await call(admin, 'GET', '/api/v1/logs/follow?after=0', { stream: true });
    expect((await call(admin, 'GET', '/api/v1/logs/follow?channel=nothing')).status).toBe(400);

    const runtime = await call(admin, 'POST', '/api/v1/runtime/layer4/services/web/real-servers/alpha', {
      body: { state: 'drain' },
    });
    expect(runtime.status, runtime.text).toBe(200);
    expect(
      (await call(admin, 'POST', '/api/v1/runtime/layer4/services/web', { body: { state: 'online' } })).status,
    ).toBe(200);
    expect(
      (await call(admin, 'POST', '/api/v1/runtime/layer5/services/web', { body: { state: 'online' } })).status,
    ).toBe(404);
    expect(
      (
        await call(admin, 'POST', '/api/v1/runtime/layer4/services/web/real-servers/nobody', {
          body: { state: 'drain' },
        })
      ).status,
    ).toBe(404);
    await call(admin, 'GET', '/api/v1/runtime/admin-states');
    expect((await call(anonymous, 'GET', '/api/v1/runtime/admin-states')).status).toBe(401);

    await call(admin, 'GET', '/api/v1/ha');
    expect((await call(admin, 'POST', '/api/v1/ha/takeover')).status).toBe(409);
    h.ha.current = { ...h.ha.current, enabled: true, role: 'master', link: 'up' };
    expect((await call(admin, 'POST', '/api/v1/ha/takeover')).status).toBe(200);
    expect((await call(admin, 'POST', '/api/v1/ha/standby')).status).toBe(200);
    await call(admin, 'GET', '/api/v1/ha');
    h.ha.current = { ...h.ha.current, enabled: false, role: 'standalone', state: 'active' };
    expect((await call(anonymous, 'POST', '/api/v1/ha/takeover')).status).toBe(401);
    expect((await call(anonymous, 'POST', '/api/v1/ha/standby')).status).toBe(401);
    expect((await call(anonymous, 'PUT', '/api/v1/ha/replica', { body: '{}' })).status).toBe(401);
    const replica = await call(anonymous, 'PUT', '/api/v1/ha/replica', {
      body: '{}',
      headers: { 'x-test-signed': 'yes', 'content-type': 'application/octet-stream' },
    });
    expect(replica.status, replica.text).toBe(200);
    expect((await call(anonymous, 'GET', '/api/v1/ha')).status).toBe(401);
    await call(admin, 'GET', '/api/v1/network/status');
    expect((await call(admin, 'POST', '/api/v1/network/confirm')).status).toBe(200);
    expect((await call(admin, 'POST', '/api/v1/network/confirm?now=1')).status).toBe(400);
    expect((await call(anonymous, 'GET', '/api/v1/network/status')).status).toBe(401);

    await call(admin, 'GET', '/api/v1/web-ports');
    await call(admin, 'GET', '/api/v1/web-certificate');
    await call(admin, 'GET', '/api/v1/certificate-status');
    expect((await call(anonymous, 'GET', '/api/v1/web-ports')).status).toBe(401);
    expect((await call(anonymous, 'GET', '/api/v1/web-certificate')).status).toBe(401);
    expect((await call(anonymous, 'GET', '/api/v1/certificate-status')).status).toBe(401);
    const made = await call(admin, 'POST', '/api/v1/certificates/self-signed', {
      body: { label: 'made', names: ['192.0.2.10'] },
    });
    expect(made.status, made.text).toBe(201);
    expect((await call(admin, 'POST', '/api/v1/certificates/self-signed', { body: { label: 'x' } })).status).toBe(400);
    const csr = await call(admin, 'POST', '/api/v1/certificates/csr', { body: { commonName: 'lb.example.test' } });
    expect(csr.status, csr.text).toBe(201);
    expect((await call(admin, 'POST', '/api/v1/certificates/csr', { body: {} })).status).toBe(400);
    expect(
      (await call(admin, 'POST', '/api/v1/certificates/upload', { body: { format: 'pem', certificate: 'no' } })).status,
    ).toBe(400);
    const pem = await readFile((made.body as Json).file as string, 'utf8');
    const end = '-----END CERTIFICATE-----';
    const certificate = pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'), pem.indexOf(end) + end.length);
    const key = pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----'));
    const stored = await call(admin, 'POST', '/api/v1/certificates/upload', {
      body: { format: 'pem', label: 'again', certificate, key },
    });
    expect(stored.status, stored.text).toBe(201);
    const installed = await call(admin, 'POST', '/api/v1/certificates/upload', {
      body: { format: 'pem', certificate, key },
    });
    expect(installed.status, installed.text).toBe(200);

    const backup = await call(admin, 'GET', '/api/v1/backup');
    expect(backup.status).toBe(200);
    expect((await call(anonymous, 'GET', '/api/v1/backup')).status).toBe(401);
    const restored = await call(admin, 'POST', '/api/v1/restore', { body: backup.body });
    expect(restored.status, restored.text).toBe(200);
    expect((await call(admin, 'POST', '/api/v1/restore', { body: { format: 'other' } })).status).toBe(400);
    const reset = await call(admin, 'POST', '/api/v1/factory-reset', { body: { confirm: 'factory-reset' } });
    expect(reset.status, reset.text).toBe(200);
    expect((await call(admin, 'POST', '/api/v1/factory-reset', { body: { confirm: 'yes' } })).status).toBe(400);
  });

  it('the ECMP cluster: its table, and this node drained and undrained', async () => {
    const anonymous = undefined;
    await call(admin, 'GET', '/api/v1/cluster');
    const ecmp = ecmpConfig();
    const current = h.store.current();
    await h.store.commit({
      config: { ...current.config, cluster: ecmp.cluster, layer4: ecmp.layer4, layer7: [], ssl: [], floatingIps: [] },
      baseVersion: current.version,
      author: 'admin',
    });
    const table = await call(admin, 'GET', '/api/v1/cluster');
    expect(table.body).toMatchObject({ mode: 'ecmp', role: 'configuring' });
    expect((await call(admin, 'POST', '/api/v1/cluster/drain')).status).toBe(200);
    expect((await call(admin, 'POST', '/api/v1/cluster/undrain')).status).toBe(200);
    expect((await call(anonymous, 'GET', '/api/v1/cluster')).status).toBe(401);
    expect((await call(anonymous, 'POST', '/api/v1/cluster/drain')).status).toBe(401);
    expect((await call(anonymous, 'POST', '/api/v1/cluster/undrain')).status).toBe(401);
  });

  it('finds a body its schema does not allow (the checker is not blind)', () => {
    const validate = ajv.getSchema(
      `openapi.json#/paths/${pointerSegment('/api/v1/layer4/services/{service}')}/get/responses/200/content/application~1json/schema`,
    );
    expect(validate).toBeDefined();
    expect(validate?.({ version: 1, item: layer4ServiceStored() })).toBe(true);
    expect(validate?.({ version: 1, item: { ...layer4ServiceStored(), extra: 1 } })).toBe(false);
    expect(validate?.({ version: '1', item: layer4ServiceStored() })).toBe(false);
  });
  it('answers an unknown query parameter with a 400 on every route', async () => {
    for (const route of h.api.routes) {
      const path = `${route.root ? '' : '/api/v1'}${route.path.replace(/\{\w+\}/g, 'x')}?no-such-parameter=1`;
      const client = route.access === 'public' ? undefined : admin;
      expect((await call(client, route.method, path)).status, `${route.method} ${path}`).toBe(400);
    }
  });

  it('called every route, with a success and with a failure, and every answer matched the document', () => {
    expect(problems).toEqual([]);
    const routes = h.api.routes.map((route) => `${route.method} ${route.root ? '' : '/api/v1'}${route.path}`);
    expect(routes.filter((route) => !succeeded.has(route))).toEqual([]);
    expect(routes.filter((route) => !failed.has(route))).toEqual([]);
  });
});
