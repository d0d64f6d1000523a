import { describe, expect, it } from 'vitest';
import type { ApplianceConfig } from '../../src/model/schema.js';
import { harnessEachTest, layer4Service } from './harness.js';

const each = harnessEachTest();

/** The engine's verdict on a host whose only network is 192.0.2.0/24 (the real one reads the interfaces). */
const outsideTheNetwork = (config: ApplianceConfig) =>
  config.layer4.flatMap((s, i) =>
    s.vip.startsWith('192.0.2.')
      ? []
      : [
          {
            code: 'HOST_ADDRESS_UNPLACED' as const,
            field: `layer4[${i}].vip`,
            message: `layer4[${i}].vip: ${s.vip}: no interface holds its network`,
          },
        ],
  );

describe('the default connect check', () => {
  it('a service created with real servers gets it, visible and editable; taken off, it stays off', async () => {
    const made = await each.admin.post(
      `/api/v1/layer4/services?version=${await each.admin.version()}`,
      layer4Service('web'),
    );
    expect(made.status, made.text).toBe(201);
    expect(made.body.item.healthCheck).toBe('connect');
    const check = await each.admin.get('/api/v1/health-checks/connect');
    expect(check.body.item).toMatchObject({ label: 'connect', type: 'connect', intervalSeconds: 10, fall: 3 });

    const edited = await each.admin.put(`/api/v1/health-checks/connect?version=${await each.admin.version()}`, {
      type: 'connect',
      intervalSeconds: 2,
    });
    expect(edited.status, edited.text).toBe(200);

    const { healthCheck: _dropped, ...without } = made.body.item;
    const off = await each.admin.put(`/api/v1/layer4/services/web?version=${await each.admin.version()}`, without);
    expect(off.status, off.text).toBe(200);
    expect(off.body.item.healthCheck).toBeUndefined();
    const more = await each.admin.post(
      `/api/v1/layer4/services/web/real-servers?version=${await each.admin.version()}`,
      {
        label: 'charlie',
        address: '198.51.100.23',
        port: 8080,
      },
    );
    expect(more.status, more.text).toBe(201);
    expect((await each.admin.get('/api/v1/layer4/services/web')).body.item.healthCheck).toBeUndefined();
  });

  it('a service created empty gets it with its first real server, on Layer 7 too', async () => {
    await each.admin.post(`/api/v1/layer7/services?version=${await each.admin.version()}`, {
      label: 'site',
      vip: '192.0.2.30',
      ports: [80],
    });
    expect((await each.admin.get('/api/v1/layer7/services/site')).body.item.healthCheck).toBeUndefined();
    const first = await each.admin.post(
      `/api/v1/layer7/services/site/real-servers?version=${await each.admin.version()}`,
      {
        label: 'alpha',
        address: '198.51.100.21',
      },
    );
    expect(first.status, first.text).toBe(201);
    expect((await each.admin.get('/api/v1/layer7/services/site')).body.item.healthCheck).toBe('connect');
  });
});

describe('warnings of this host in the answer to a write', () => {
  it('a VIP in no network is told to the write that stored it, not to writes about other services', async () => {
    each.h.engine.hostWarningsOf = outsideTheNetwork;
    const out = await each.admin.post(
      `/api/v1/layer4/services?version=${await each.admin.version()}`,
      layer4Service('out', '203.0.113.80'),
    );
    expect(out.status, out.text).toBe(201);
    expect(out.body.warnings).toContainEqual({
      code: 'HOST_ADDRESS_UNPLACED',
      field: 'layer4[0].vip',
      message: 'layer4[0].vip: 203.0.113.80: no interface holds its network',
    });
    const other = await each.admin.post(
      `/api/v1/layer4/services?version=${await each.admin.version()}`,
      layer4Service('in'),
    );
    expect(other.body.warnings.map((w: { code: string }) => w.code)).not.toContain('HOST_ADDRESS_UNPLACED');
    expect(other.body.warningsTotal).toBeGreaterThan(other.body.warnings.length);

    const whole = await each.admin.get('/api/v1/config');
    const put = await each.admin.put(`/api/v1/config?version=${whole.body.version}`, whole.body.config);
    expect(put.body.warnings).toContainEqual(expect.objectContaining({ field: 'layer4[0].vip' }));
  });

  it('with ?wait=applied too; a host that cannot be read costs the advice, not the write', async () => {
    each.h.engine.hostWarningsOf = outsideTheNetwork;
    const waited = await each.admin.post(
      `/api/v1/layer4/services?version=${await each.admin.version()}&wait=applied`,
      layer4Service('out', '203.0.113.80'),
    );
    expect(waited.body.applied).toBeDefined();
    expect(waited.body.warnings).toContainEqual(expect.objectContaining({ code: 'HOST_ADDRESS_UNPLACED' }));

    each.h.engine.hostWarningsOf = () => {
      throw new Error('cannot read the interfaces');
    };
    const stored = await each.admin.post(
      `/api/v1/layer4/services?version=${await each.admin.version()}`,
      layer4Service('two', '203.0.113.81'),
    );
    expect(stored.status, stored.text).toBe(201);
    expect(each.h.logs.query({ channels: ['system'] }).map((r) => r.message)).toContainEqual(
      expect.stringContaining('cannot read the interfaces'),
    );
  });
});
