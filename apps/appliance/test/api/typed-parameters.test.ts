import { describe, expect, it } from 'vitest';
import { harnessEachTest, layer4Service } from './harness.js';

// The router checks path and query parameters against the schemas the OpenAPI document
// shows (Route `params`, `query`), before the handler runs and before a body is read.
describe('typed parameters', () => {
  const each = harnessEachTest();

  it('refuses a query value its schema does not allow with a 400 naming the parameter; nothing is stored', async () => {
    const { admin, h } = each;
    const before = h.store.current().version;
    for (const [query, field] of [
      ['version=abc', 'version'],
      ['version=0', 'version'],
      [`version=${before}&wait=now`, 'wait'],
      [`version=${before}&addressLoss=yes`, 'addressLoss'],
      [`version=${before}&comment=${encodeURIComponent('a\u0007b')}`, 'comment'],
    ]) {
      const answer = await admin.post(`/api/v1/layer4/services?${query}`, layer4Service('web'));
      expect(answer.status, query).toBe(400);
      expect(answer.body.error, query).toMatchObject({ code: 'API_BAD_REQUEST', field });
    }
    expect(h.store.current().version).toBe(before);
    const good = await admin.post(
      `/api/v1/layer4/services?version=${before}&wait=applied&comment=ok`,
      layer4Service('web'),
    );
    expect(good.status, good.text).toBe(201);
  });

  it('reads integers and enums of reads the same way', async () => {
    const { admin } = each;
    expect((await admin.get('/api/v1/config/versions?limit=x')).body.error.field).toBe('limit');
    expect((await admin.get('/api/v1/config/diff?from=-1')).body.error.field).toBe('from');
    expect((await admin.get('/api/v1/logs?level=loud')).body.error.field).toBe('level');
    expect((await admin.get('/api/v1/logs?channel=audit,nope')).body.error.field).toBe('channel');
    expect((await admin.get('/api/v1/reports/traffic?minutes=1441')).body.error.field).toBe('minutes');
    expect((await admin.get('/api/v1/logs?channel=audit,system&level=warn&limit=3')).status).toBe(200);
  });

  it('answers a path value outside its enum with a 404 and any other mismatch with a 400', async () => {
    const { admin } = each;
    const wrongLayer = await admin.post('/api/v1/runtime/layer9/services/web', { state: 'drain' });
    expect(wrongLayer.status).toBe(404);
    expect(wrongLayer.body.error.code).toBe('API_NOT_FOUND');
    const wrongVersion = await admin.get('/api/v1/config/versions/1.5');
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.body.error.field).toBe('version');
  });
});
