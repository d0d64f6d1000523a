import { describe, expect, it } from 'vitest';
import { consumerErrors } from '../src/config/consumers.js';
import { type ApplianceConfig, type ApplianceConfigInput, configSchema } from '../src/model/schema.js';

const parse = (input: ApplianceConfigInput): ApplianceConfig => configSchema.parse(input);

const service = (i: number, extra: Record<string, unknown> = {}) => ({
  label: `svc${i}`,
  vip: '192.0.2.10',
  ports: [1000 + i],
  realServers: [{ label: 'a', address: '198.51.100.21', port: 8080 }],
  ...extra,
});

/** `base` with its Layer 7 service `i` replaced (the others the same objects, as the store shares them). */
function changed(base: ApplianceConfig, i: number, replace: Record<string, unknown>): ApplianceConfig {
  const next = parse({ layer7: [service(i, replace)] }).layer7[0] as ApplianceConfig['layer7'][number];
  return { ...base, layer7: base.layer7.map((s, k) => (k === i ? next : s)) };
}

describe('consumerErrors: what the Layer 7 model and renderer refuse, named in the whole configuration', () => {
  const base = parse({ layer7: Array.from({ length: 20 }, (_, i) => service(i)) });

  it('a valid configuration and a valid change pass', async () => {
    expect(await consumerErrors(base)).toEqual([]);
    expect(await consumerErrors(changed(base, 7, { ports: [2000] }), base)).toEqual([]);
  });

  it('a changed service is checked alone yet named at its own index', async () => {
    const [error] = await consumerErrors(changed(base, 17, { ports: [{ from: 20000, to: 23000 }] }), base);
    expect(error).toMatchObject({ code: 'CONFIG_CONFLICT', field: 'layer7[17].ports' });
    expect(error?.message).toMatch(/^layer7\[17\]\.ports: /);
  });

  it('a service that switches to a changed one is checked too (the modes must agree)', async () => {
    const withRule = parse({
      layer7: [
        ...Array.from({ length: 5 }, (_, i) => service(i)),
        service(5, { urlRules: [{ match: 'path-prefix', value: '/x/', service: 'svc2' }] }),
      ],
    });
    const [error] = await consumerErrors(changed(withRule, 2, { mode: 'tcp' }), withRule);
    expect(error).toMatchObject({ code: 'CONFIG_CONFLICT', field: 'layer7[5].urlRules[0].service' });
  });

  it('a renderer refusal (a stored value from before the schema took its rule) names the field', async () => {
    const stored = structuredClone(base);
    (stored.layer7[3] as { persistence: unknown }).persistence = { type: 'cookie-insert', cookieName: 'SID#x' };
    expect(await consumerErrors(stored)).toEqual([
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'layer7[3].persistence.cookieName' }),
    ]);
  });

  it('a change that leaves every Layer 7 part as stored is not rendered again', async () => {
    const stored = structuredClone(base);
    (stored.layer7[3] as { persistence: unknown }).persistence = { type: 'cookie-insert', cookieName: 'SID#x' };
    // The same Layer 7 objects: nothing this change did can make HAProxy refuse them.
    expect(await consumerErrors({ ...stored, floatingIps: [] }, stored)).toEqual([]);
  });
});
