import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Appliance, startAppliance } from '../ui/appliance.js';

describe('GET /api/v1/web-ports', () => {
  // The API behind the real web servers, bound where the system gives room (port 0), as
  // `--port` would put them elsewhere: not on the configured 9080/9443.
  let app: Appliance;
  beforeAll(async () => {
    app = await startAppliance();
  }, 60_000);
  afterAll(() => app?.close());

  it('answers the ports the web servers are bound to, not the configured ones', async () => {
    const h = app.harness;
    const admin = await h.admin();
    const { administration } = (await admin.get('/api/v1/config')).body.config;
    expect([administration.httpPort, administration.httpsPort]).toEqual([9080, 9443]);
    const answer = await admin.get('/api/v1/web-ports');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ httpPort: app.web.httpPort, httpsPort: app.web.httpsPort });
    expect(app.web.httpPort).not.toBe(9080);
    // Through the web server as well, and only for a user logged in.
    expect((await fetch(`${app.http}/api/v1/web-ports`)).status).toBe(401);
    expect((await h.client().get('/api/v1/web-ports')).status).toBe(401);
  });
});
