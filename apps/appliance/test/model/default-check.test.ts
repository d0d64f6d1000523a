import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECK, withDefaultChecks } from '../../src/model/default-check.js';
import { type ApplianceConfigInput, configSchema } from '../../src/model/schema.js';
import { validateConfig } from '../../src/model/validate.js';

const parsed = (input: ApplianceConfigInput) => configSchema.parse(input);
const server = (label: string, port?: number) => ({ label, address: '198.51.100.11', ...(port ? { port } : {}) });
const web = (servers: ReturnType<typeof server>[], extra: Record<string, unknown> = {}) => ({
  label: 'web',
  vip: '192.0.2.10',
  ports: [80],
  realServers: servers,
  ...extra,
});

describe('the default connect check', () => {
  it('a new service with real servers gets a connect check, stored with its timers, and valid', () => {
    const out = withDefaultChecks(parsed({}), { layer4: [web([server('alpha')])] }) as ApplianceConfigInput;
    expect(out.layer4?.[0]?.healthCheck).toBe('connect');
    expect(out.healthChecks).toEqual([DEFAULT_CHECK]);
    const result = validateConfig(out);
    expect(result.ok).toBe(true);
    expect(result.config?.healthChecks[0]).toMatchObject({
      label: 'connect',
      type: 'connect',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      rise: 2,
      fall: 3,
    });
  });

  it('a service without servers gets none; its first server brings it, on Layer 7 too', () => {
    const empty = { layer7: [web([])] };
    expect(withDefaultChecks(parsed({}), empty)).toBe(empty);
    const first = withDefaultChecks(parsed(empty), { layer7: [web([server('alpha')])] }) as ApplianceConfigInput;
    expect(first.layer7?.[0]?.healthCheck).toBe('connect');
    // A server without a port (the client's port) is checked on the service's port: valid.
    const portless = withDefaultChecks(parsed(empty), { layer7: [web([server('alpha'), server('bravo', 8080)])] });
    expect(validateConfig(portless).ok).toBe(true);
  });

  it('a service that had servers keeps its choice: a check taken off stays off when servers are added', () => {
    const before = parsed({ layer4: [web([server('alpha')])] });
    const input = { layer4: [web([server('alpha'), server('bravo')])] };
    expect(withDefaultChecks(before, input)).toBe(input);
  });

  it('a named check is kept; an existing connect check on the server port is used, not a second', () => {
    const named = {
      healthChecks: [{ label: 'http', type: 'http' }],
      layer4: [web([server('a')], { healthCheck: 'http' })],
    };
    expect(withDefaultChecks(parsed({}), named)).toBe(named);
    const reuse = withDefaultChecks(parsed({}), {
      healthChecks: [{ label: 'tcp', type: 'connect' }],
      layer4: [web([server('a')])],
    }) as ApplianceConfigInput;
    expect(reuse.layer4?.[0]?.healthCheck).toBe('tcp');
    expect(reuse.healthChecks).toHaveLength(1);
    const taken = withDefaultChecks(parsed({}), {
      healthChecks: [{ label: 'connect', type: 'connect', port: 9000 }],
      layer4: [web([server('a')]), { ...web([server('b')]), label: 'other', vip: '192.0.2.11' }],
    }) as ApplianceConfigInput;
    expect(taken.layer4?.map((s) => s.healthCheck)).toEqual(['connect-2', 'connect-2']);
    expect(taken.healthChecks?.map((c) => c.label)).toEqual(['connect', 'connect-2']);
  });

  it('"healthCheck": null says none, deliberately: no default, and not stored', () => {
    const out = withDefaultChecks(parsed({}), { layer4: [web([server('a')], { healthCheck: null })] });
    expect(out).toEqual({ layer4: [web([server('a')])] });
    expect(validateConfig(out).ok).toBe(true);
  });

  it('no TCP connect for UDP or firewall-mark services; what is not a configuration is left to the validation', () => {
    const udp = { layer4: [web([server('a')], { protocol: 'udp', ports: [53] })] };
    expect(withDefaultChecks(parsed({}), udp)).toBe(udp);
    const mark = { layer4: [web([server('a')], { protocol: 'fwmark', fwmark: 7, ports: [] })] };
    expect(withDefaultChecks(parsed({}), mark)).toBe(mark);
    expect(withDefaultChecks(parsed({}), 'nonsense')).toBe('nonsense');
    expect(withDefaultChecks(parsed({}), { layer4: 'nonsense' })).toEqual({ layer4: 'nonsense' });
  });
});
