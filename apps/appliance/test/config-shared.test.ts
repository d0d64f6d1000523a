import { describe, expect, it } from 'vitest';
import { type ApplianceConfig, checkSemantics, diffConfigs, parseConfig } from '../src/index.js';

// What the rules and the diff keep about frozen, shared objects (a stored configuration's)
// must never change what they say: each case compares with a fresh, unfrozen copy.

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const service = (label: string, port: number, extra: Record<string, unknown> = {}) => ({
  label,
  vip: '192.0.2.10',
  ports: [port],
  forwarding: 'dr',
  realServers: [
    { label: 'r1', address: '198.51.100.1' },
    { label: 'r2', address: '198.51.100.2' },
  ],
  ...extra,
});

function stored(layer4: unknown[], healthChecks: unknown[] = []): ApplianceConfig {
  return deepFreeze(parseConfig({ layer4, healthChecks }).config);
}

const fresh = (config: ApplianceConfig): ApplianceConfig => structuredClone(config);
const brief = (r: ReturnType<typeof checkSemantics>) => ({
  errors: r.errors.map((e) => [e.code, e.field, e.message]),
  warnings: r.warnings.map((w) => [w.code, w.field, w.message]),
});

describe('checkSemantics on frozen, shared services', () => {
  it('says the same as on a fresh copy, after the services move (fields name the new places)', () => {
    const config = stored([service('a', 80), service('b', 81), service('c', 82)]);
    expect(brief(checkSemantics(config))).toEqual(brief(checkSemantics(fresh(config))));
    // The same frozen objects, one place earlier.
    const moved = { ...config, layer4: config.layer4.slice(1) };
    const result = checkSemantics(moved);
    expect(result.warnings.map((w) => w.field)).toEqual(['layer4[0]', 'layer4[1]']);
    expect(brief(result)).toEqual(brief(checkSemantics(fresh(moved))));
  });

  it('still reports what depends on the rest of the configuration (a health check removed, a listener taken)', () => {
    const config = stored(
      [service('a', 80, { healthCheck: 'hc' }), service('b', 81)],
      [{ label: 'hc', type: 'connect' }],
    );
    expect(checkSemantics(config).errors).toEqual([]);
    const withoutCheck = { ...config, healthChecks: [] };
    expect(brief(checkSemantics(withoutCheck)).errors).toEqual([
      ['CONFIG_UNKNOWN_REFERENCE', 'layer4[0].healthCheck', 'layer4[0].healthCheck: no health check is labelled "hc"'],
    ]);
    const clash = { ...config, layer4: [...config.layer4, ...stored([service('c', 80)]).layer4] };
    const result = brief(checkSemantics(clash));
    expect(result).toEqual(brief(checkSemantics(fresh(clash))));
    expect(result.errors.map((e) => [e[0], e[1]])).toEqual([['CONFIG_DUPLICATE_LISTENER', 'layer4[2].ports[0]']]);
  });

  it('reports duplicate real server labels of a frozen service every time', () => {
    const bad = deepFreeze({
      ...stored([service('a', 80)]),
      layer4: [{ ...stored([service('a', 80)]).layer4[0], realServers: [{ label: 'r1' }, { label: 'r1' }] }],
    }) as unknown as ApplianceConfig;
    for (let i = 0; i < 2; i++) {
      expect(checkSemantics(bad).errors.map((e) => e.field)).toContain('layer4[0].realServers[1].label');
    }
  });
});

describe('diffConfigs on versions that share objects', () => {
  const before = stored([service('a', 80), service('b', 81), service('c', 82)]);
  const change = (i: number, edit: (s: ApplianceConfig['layer4'][number]) => unknown) => ({
    ...before,
    layer4: before.layer4.map((s, n) => (n === i ? edit(s) : s)),
  });

  it('gives the changed field by label, as for fresh copies', () => {
    const after = change(1, (s) => ({ ...s, realServers: [s.realServers[0], { ...s.realServers[1], weight: 7 }] }));
    const diff = diffConfigs(before, after);
    expect(diff).toEqual([{ path: 'layer4["b"].realServers["r2"].weight', op: 'changed', before: 1, after: 7 }]);
    expect(diffConfigs(fresh(before), fresh(after as ApplianceConfig))).toEqual(diff);
  });

  it('a label changed in place reads as a removal and an addition, as for fresh copies', () => {
    const after = change(0, (s) => ({ ...s, label: 'z' }));
    const diff = diffConfigs(before, after);
    expect(diff.map((d) => [d.path, d.op])).toEqual([
      ['layer4["a"]', 'removed'],
      ['layer4["z"]', 'added'],
    ]);
    expect(diffConfigs(fresh(before), fresh(after as ApplianceConfig))).toEqual(diff);
  });
});
