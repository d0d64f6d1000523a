import { describe, expect, it } from 'vitest';
import { desiredLayer4 } from '../../src/engine/layer4/desired.js';
import { validateConfig } from '../../src/index.js';
import type { ApplianceConfig } from '../../src/model/schema.js';
import { ecmpConfig, type Mutable } from '../fixtures/ecmp-config.js';

function errorsAfter(change: (config: Mutable) => void) {
  const config = ecmpConfig();
  change(config);
  return validateConfig(config).errors.map((e) => ({ code: e.code, field: e.field }));
}

describe('cluster configuration', () => {
  it('accepts an ECMP cluster and fills in its defaults', () => {
    const result = validateConfig(ecmpConfig());
    expect(result.errors).toEqual([]);
    expect(result.config?.cluster).toMatchObject({ mode: 'ecmp', drainSeconds: 10, maxLagSeconds: 30 });
    expect(result.config?.cluster?.bgp?.peers[0]?.bfd).toEqual({ intervalMs: 300, multiplier: 3 });
  });

  it('keeps a configuration without the section a pair', () => {
    const result = validateConfig({});
    expect(result.ok).toBe(true);
    expect(result.config?.cluster).toBeUndefined();
  });

  it('refuses what makes nodes pick different real servers, at the field at fault', () => {
    expect(
      errorsAfter((c) => {
        c.layer4[0].scheduler = 'wlc';
        c.layer4[0].forwarding = 'nat';
      }),
    ).toEqual([
      { code: 'CONFIG_CONFLICT', field: 'layer4[0].scheduler' },
      { code: 'CONFIG_CONFLICT', field: 'layer4[0].forwarding' },
    ]);
  });

  it('refuses the pair parts, missing BGP, duplicate nodes and IPv6 nodes without a router id', () => {
    expect(
      errorsAfter((c) => {
        c.heartbeat = {
          enabled: true,
          peer: { name: 'b', address: '192.0.2.2' },
          links: [{ interface: 'eth0' }],
          key: 'k'.repeat(16),
        };
        c.floatingIps = [{ address: '192.0.2.100/24' }];
        c.cluster.bgp = undefined;
        c.cluster.nodes[1].name = 'lb1';
        c.cluster.nodes[2].routerId = undefined;
      }),
    ).toEqual([
      { code: 'CONFIG_INVALID', field: 'cluster.bgp' },
      { code: 'CONFIG_DUPLICATE_LABEL', field: 'cluster.nodes[1].name' },
      { code: 'CONFIG_INVALID', field: 'cluster.nodes[2].routerId' },
      { code: 'CONFIG_CONFLICT', field: 'heartbeat.enabled' },
      { code: 'CONFIG_CONFLICT', field: 'floatingIps' },
    ]);
  });

  it('requires the cluster key in ECMP, 16 characters at least, and refuses the history placeholder', () => {
    expect(errorsAfter((c) => delete c.cluster.key)).toEqual([{ code: 'CONFIG_INVALID', field: 'cluster.key' }]);
    for (const key of ['too-short', '(redacted)']) {
      expect(
        errorsAfter((c) => {
          c.cluster.key = key;
        }),
      ).toEqual([{ code: 'CONFIG_INVALID', field: 'cluster.key' }]);
    }
    expect(validateConfig({ cluster: { mode: 'pair' } }).errors).toEqual([]);
  });

  it('refuses a BGP password that could end or escape the routing daemon string', () => {
    for (const password of ['a"b', 'a\\b', 'a\nb', '', '(redacted)']) {
      expect(
        errorsAfter((c) => {
          c.cluster.bgp.peers[0].password = password;
        }),
      ).toEqual([{ code: 'CONFIG_INVALID', field: 'cluster.bgp.peers[0].password' }]);
    }
  });

  it('gives mh fallback and port in a cluster, fallback only with persistence, and keeps offline servers at weight 0', () => {
    const config = validateConfig(ecmpConfig()).config as ApplianceConfig;
    const state = (ref: { server: string }) => ({
      admin: ref.server === 'rs2' ? ('offline' as const) : ('online' as const),
      health: 'up' as const,
    });
    const [service] = desiredLayer4(config, state).services;
    expect(service?.schedulerFlags).toEqual({ fallback: true, port: true });
    expect(service?.destinations.map((d) => [d.address, d.weight])).toEqual([
      ['198.51.100.1', 1],
      ['198.51.100.2', 0],
      ['198.51.100.3', 1],
    ]);
    const persistent = validateConfig({
      ...ecmpConfig(),
      layer4: [{ ...ecmpConfig().layer4[0], persistence: { timeoutSeconds: 300 } }],
    }).config as ApplianceConfig;
    expect(desiredLayer4(persistent, state).services[0]?.schedulerFlags).toEqual({ fallback: true });
    const pair = validateConfig({ layer4: ecmpConfig().layer4 }).config as ApplianceConfig;
    const [plain] = desiredLayer4(pair, state).services;
    expect(plain?.schedulerFlags).toBeUndefined();
    expect(plain?.destinations.map((d) => d.address)).toEqual(['198.51.100.1', '198.51.100.3']);
  });
});
