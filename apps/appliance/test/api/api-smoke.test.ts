import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, layer4Service, startHarness } from './harness.js';

describe('smoke', () => {
  let h: Harness;
  afterEach(() => h?.close());
  it('first boot, password change, add a service', async () => {
    h = await startHarness();
    expect(h.auth.initialPassword).toBeTypeOf('string');
    const admin = await h.admin();
    const v = await admin.version();
    const created = await admin.post(`/api/v1/layer4/services?version=${v}`, layer4Service('web'));
    expect(created.status, created.text).toBe(201);
    const got = await admin.get('/api/v1/layer4/services/web');
    expect(got.body.item.realServers).toHaveLength(2);
  });
});
