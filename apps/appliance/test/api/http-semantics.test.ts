import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, type Harness, layer4Service, startHarness } from './harness.js';

// What a tool (Terraform, Ansible, a script) relies on: preconditions, idempotent PUTs,
// where a created item lives, and PUTs of a whole configuration without the users.

let h: Harness;
let admin: Client;
beforeEach(async () => {
  h = await startHarness();
  admin = await h.admin();
});
afterEach(() => h.close());

const v = () => h.store.current().version;

describe('If-Match', () => {
  it('a stale If-Match is 412 API_PRECONDITION_FAILED and stores nothing; ?version stale stays 409', async () => {
    const before = v();
    const made = await admin.post(
      '/api/v1/health-checks',
      { label: 'hc', type: 'ping' },
      { 'if-match': `"${before}"` },
    );
    expect(made.status, made.text).toBe(201);
    const stale = await admin.put(
      '/api/v1/health-checks/hc',
      { type: 'http', path: '/' },
      { 'if-match': `"${before}"` },
    );
    expect(stale.status, stale.text).toBe(412);
    expect(stale.body.error).toMatchObject({ code: 'API_PRECONDITION_FAILED', field: 'If-Match' });
    expect(v()).toBe(before + 1);
    const query = await admin.put(`/api/v1/health-checks/hc?version=${before}`, { type: 'http', path: '/' });
    expect(query.status).toBe(409);
    expect(query.body.error.code).toBe('STORE_CONFLICT');
    expect(v()).toBe(before + 1);
  });

  it('If-Match: * and a list that holds the current version pass', async () => {
    const star = await admin.post('/api/v1/health-checks', { label: 'a', type: 'ping' }, { 'if-match': '*' });
    expect(star.status, star.text).toBe(201);
    const list = await admin.post(
      '/api/v1/health-checks',
      { label: 'b', type: 'ping' },
      { 'if-match': `"1", W/"${v()}", "999"` },
    );
    expect(list.status, list.text).toBe(201);
    const none = await admin.post('/api/v1/health-checks', { label: 'c', type: 'ping' }, { 'if-match': '"1", "2"' });
    expect(none.status).toBe(412);
  });

  it('a malformed If-Match is 400 naming the header', async () => {
    for (const header of ['nope', '"1",', '**', '"x"']) {
      const answer = await admin.post('/api/v1/health-checks', { label: 'hc', type: 'ping' }, { 'if-match': header });
      expect(answer.status, header).toBe(400);
      expect(answer.body.error.field, header).toBe('If-Match');
    }
  });

  it('a rollback with a stale If-Match is 412', async () => {
    const first = v();
    await admin.post('/api/v1/health-checks', { label: 'hc', type: 'ping' }, { 'if-match': '*' });
    const rollback = await admin.post('/api/v1/config/rollback', { to: first }, { 'if-match': `"${first}"` });
    expect(rollback.status, rollback.text).toBe(412);
    expect(v()).toBe(first + 1);
  });
});

describe('POST answers 201 with Location', () => {
  it('names the created item, and the URL answers it', async () => {
    const made = await admin.post(
      '/api/v1/floating-ips',
      { address: '192.0.2.50/24', interface: 'eth0' },
      { 'if-match': '*' },
    );
    expect(made.status, made.text).toBe(201);
    const location = made.headers.get('location');
    expect(location).toBe('/api/v1/floating-ips/192.0.2.50%2F24');
    const got = await admin.get(location as string);
    expect(got.status).toBe(200);
    expect(got.body.item.address).toBe('192.0.2.50/24');
  });

  it('a real server of a service: its nested URL', async () => {
    await admin.post('/api/v1/layer4/services', layer4Service('web'), { 'if-match': '*' });
    const made = await admin.post(
      '/api/v1/layer4/services/web/real-servers',
      { label: 'r9', address: '192.0.2.99' },
      { 'if-match': '*' },
    );
    expect(made.status, made.text).toBe(201);
    expect(made.headers.get('location')).toBe('/api/v1/layer4/services/web/real-servers/r9');
    expect((await admin.get(made.headers.get('location') as string)).body.item.address).toBe('192.0.2.99');
  });

  it('an API token: its URL revokes it', async () => {
    const made = await admin.post('/api/v1/tokens', { name: 'terraform' });
    expect(made.status, made.text).toBe(201);
    const location = made.headers.get('location') as string;
    expect(location).toBe(`/api/v1/tokens/${made.body.id}`);
    expect((await admin.delete(location)).status).toBe(200);
  });
});

describe('PUT that changes nothing', () => {
  it('makes no new version and says so', async () => {
    await admin.post('/api/v1/health-checks', { label: 'hc', type: 'http', path: '/' }, { 'if-match': '*' });
    const version = v();
    const history = (await admin.get('/api/v1/config/versions')).body.versions.length;
    const again = await admin.put(
      '/api/v1/health-checks/hc',
      { type: 'http', path: '/' },
      { 'if-match': `"${version}"` },
    );
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ version, changes: [], unchanged: true });
    expect(again.headers.get('etag')).toBe(`"${version}"`);
    expect(v()).toBe(version);
    expect((await admin.get('/api/v1/config/versions')).body.versions.length).toBe(history);

    const whole = await admin.get('/api/v1/config');
    const same = await admin.put(`/api/v1/config?version=${version}&wait=applied`, whole.body.config);
    expect(same.status, same.text).toBe(200);
    expect(same.body).toMatchObject({ version, unchanged: true });
    expect(v()).toBe(version);
  });

  it('a stale base is still a conflict, changed or not', async () => {
    const whole = await admin.get('/api/v1/config');
    await admin.post('/api/v1/health-checks', { label: 'hc', type: 'ping' }, { 'if-match': '*' });
    const stale = await admin.put(`/api/v1/config?version=${whole.body.version}`, whole.body.config);
    expect(stale.status).toBe(409);
  });
});

describe('PUT /config without the users', () => {
  it('keeps the users (and their passwords) as they are', async () => {
    const whole = await admin.get('/api/v1/config');
    const users = whole.body.config.administration.users;
    expect(users.length).toBeGreaterThan(0);
    const { users: _users, ...administration } = whole.body.config.administration;
    const config = { ...whole.body.config, administration, layer4: [layer4Service('web')] };
    const put = await admin.put('/api/v1/config', config, { 'if-match': `"${whole.body.version}"` });
    expect(put.status, put.text).toBe(200);
    expect(h.store.current().config.administration.users).toEqual(users);
    const paths = put.body.changes.map((c: { path: string }) => c.path);
    expect(paths).toContain('layer4["web"]');
    expect(paths.filter((path: string) => path.startsWith('administration'))).toEqual([]);

    // Without the administration section at all: the users stay too.
    const { administration: _a, ...rest } = whole.body.config;
    const bare = await admin.put('/api/v1/config', rest, { 'if-match': '*' });
    expect(bare.status, bare.text).toBe(200);
    expect(h.store.current().config.administration.users).toEqual(users);
    // The session still works: the password hash was kept.
    expect((await admin.get('/api/v1/config')).status).toBe(200);
  });

  it('a document that names the users replaces them (the last administrator still cannot go)', async () => {
    const whole = await admin.get('/api/v1/config');
    const config = structuredClone(whole.body.config);
    config.administration.users = [];
    const put = await admin.put('/api/v1/config', config, { 'if-match': '*' });
    expect(put.status).toBe(422);
    expect(put.body.error.field).toBe('administration.users');
  });
});
