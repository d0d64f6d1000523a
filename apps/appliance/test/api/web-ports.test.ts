import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebServers, type WebServers } from '../../src/web/index.js';
import { type Harness, startHarness } from './harness.js';

describe('GET /api/v1/web-ports', () => {
  let h: Harness;
  let web: WebServers;

  beforeAll(async () => {
    h = await startHarness();
    // Bound where the system gives room (port 0), as `--port` would put them elsewhere: not the configured 9080/9443.
    web = await createWebServers({
      handleApi: (req, res) => h.api.handle(req, res),
      addApiRoutes: (routes) => h.api.addRoutes(routes),
      logs: h.logs,
      dataDir: h.dir,
      httpPort: 0,
      httpsPort: 0,
      hosts: ['127.0.0.1'],
      certificateNames: ['localhost'],
    });
  });

  afterAll(async () => {
    await web?.close();
    await h?.close();
  });

  it('answers the ports the web servers are bound to, not the configured ones', async () => {
    const admin = await h.admin();
    const { administration } = (await admin.get('/api/v1/config')).body.config;
    expect([administration.httpPort, administration.httpsPort]).toEqual([9080, 9443]);
    const answer = await admin.get('/api/v1/web-ports');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ httpPort: web.httpPort, httpsPort: web.httpsPort });
    expect(web.httpPort).not.toBe(9080);
    // Through the web server as well, and only for a user logged in.
    const direct = await fetch(`http://127.0.0.1:${web.httpPort}/api/v1/web-ports`);
    expect(direct.status).toBe(401);
    expect((await h.client().get('/api/v1/web-ports')).status).toBe(401);
  });
});
