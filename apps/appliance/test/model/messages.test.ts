import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { PORT_MESSAGE, personMessages } from '../../src/model/messages.js';
import { configSchema } from '../../src/model/schema.js';
import { validateConfig } from '../../src/model/validate.js';
import { question } from '../../src/model/wizard-plan.js';

/** zod's own wording: none of it may reach a person. */
const ZOD_DEFAULT = /Invalid input|Invalid option|expected|Too big|Too small|Unrecognized key/;

type Schema = z.ZodType;
const defOf = (schema: Schema) =>
  (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;

/** Every field of the configuration, with its schema: objects, lists and wrappers opened down to the leaves. */
function fields(schema: Schema, path: string, out: [string, Schema][] = []): [string, Schema][] {
  const def = defOf(schema);
  out.push([path, schema]);
  switch (def.type) {
    case 'object':
      for (const [key, child] of Object.entries(def.shape as Record<string, Schema>))
        fields(child, `${path}.${key}`, out);
      break;
    case 'array':
      fields(def.element as Schema, `${path}[]`, out);
      break;
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      fields(def.innerType as Schema, path, out);
      break;
    case 'union':
      for (const option of def.options as Schema[]) fields(option, path, out);
      break;
    case 'pipe':
      fields(def.in as Schema, path, out);
      break;
  }
  return out;
}

/** Values that break every kind of rule: missing, the wrong type, too big, too small, fractional, unknown. */
const BAD_VALUES: unknown[] = [
  undefined,
  null,
  'text',
  '',
  'x'.repeat(100_000),
  -1,
  0,
  1.5,
  1e15,
  Number.NaN,
  true,
  [],
  Array.from({ length: 20_000 }, () => 1),
  {},
  { unknown: 1 },
];

describe('the model says every rule in words for a person', () => {
  const all = fields(configSchema as unknown as Schema, 'config');

  it('walks the whole schema (every section and its fields)', () => {
    const paths = new Set(all.map(([path]) => path));
    for (const path of [
      'config.layer4[].realServers[].port',
      'config.layer7[].ports[]',
      'config.ssl[].certificate',
      'config.ssl[].port',
      'config.heartbeat.timing.keepaliveMs',
      'config.administration.httpsPort',
      'config.certificates[].file',
      'config.healthChecks[].expectStatus',
    ]) {
      expect(paths.has(path), path).toBe(true);
    }
    expect(all.length).toBeGreaterThan(150);
  });

  it('no zod default message for any field, whatever the value', () => {
    const leaks: string[] = [];
    for (const [path, schema] of all) {
      for (const value of BAD_VALUES) {
        const result = schema.safeParse(value, personMessages);
        for (const issue of result.error?.issues ?? []) {
          if (ZOD_DEFAULT.test(issue.message))
            leaks.push(`${path} ${JSON.stringify(value)?.slice(0, 20)}: ${issue.message}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('a port says the same in every place: a single port, a list of ports, a real server, the admin ports', () => {
    const result = validateConfig({
      layer7: [
        {
          label: 'web',
          vip: '192.0.2.10',
          ports: [70000],
          realServers: [{ label: 'a', address: '192.0.2.20', port: 0 }],
        },
      ],
      ssl: [{ label: 'tls', certificate: 'site', vip: '192.0.2.10', port: 65536, service: 'web' }],
      administration: { httpsPort: 1.5 },
    });
    expect(result.errors.map((e) => e.message)).toEqual([
      `layer7[0].ports[0]: ${PORT_MESSAGE}`,
      `layer7[0].realServers[0].port: ${PORT_MESSAGE}`,
      `ssl[0].port: ${PORT_MESSAGE}`,
      `administration.httpsPort: ${PORT_MESSAGE}`,
    ]);
    expect(question('port').parse('70000', {})).toEqual({ ok: false, error: PORT_MESSAGE });
  });

  it('a missing field is "is required"; numbers, text and lists say their bounds', () => {
    const result = validateConfig({
      ssl: [{ label: 'tls', vip: '192.0.2.10' }],
      layer7: [
        {
          label: 'web',
          vip: '192.0.2.10',
          ports: [80],
          realServers: [{ label: 'a', address: '192.0.2.20', weight: 300 }],
        },
      ],
      healthChecks: [{ label: 'c', type: 'connect', intervalSeconds: 0, description: 'x'.repeat(300) }],
    });
    expect(result.errors.map((e) => e.message)).toEqual([
      'layer7[0].realServers[0].weight: must be at most 256',
      'ssl[0].certificate: is required',
      'ssl[0].service: is required',
      'healthChecks[0].description: must be at most 256 characters',
      'healthChecks[0].intervalSeconds: must be at least 1',
    ]);
    expect(validateConfig({ layer7: [{ label: 'web', vip: '192.0.2.10', ports: [] }] }).errors[0]?.message).toBe(
      'layer7[0].ports: must hold at least one entry',
    );
    expect(validateConfig({ layer4: [{ label: 'w', vip: '192.0.2.10', forwarding: 'snat' }] }).errors[0]?.message).toBe(
      'layer4[0].forwarding: must be one of "dr", "nat", "tun"',
    );
    expect(validateConfig({ layer4: [], colour: 'blue' }).errors[0]?.message).toBe(
      'colour: is not a setting here: check its spelling',
    );
  });
});
