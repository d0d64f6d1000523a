import { describe, expect, it } from 'vitest';
import { vipStates } from '../../../src/engine/bgp/vip-states.js';
import type { AdminState, RealServerRef } from '../../../src/model/admin-state.js';
import type { HealthState } from '../../../src/model/engine-status.js';
import { ecmpConfig } from '../../fixtures/ecmp-config.js';
import { version } from '../fakes.js';

type States = Record<string, { admin?: AdminState; health?: HealthState }>;
const server = (states: States) => (ref: RealServerRef) => ({
  admin: states[`${ref.layer}/${ref.server}`]?.admin ?? 'online',
  health: states[`${ref.layer}/${ref.server}`]?.health ?? 'up',
});

/** web (Layer 4) on .10; app (Layer 7) on .20 with an SSL termination on .30; api (Layer 4) shares .20. */
function config() {
  const c = ecmpConfig();
  c.layer4.push({
    label: 'api',
    vip: '203.0.113.20',
    ports: [8443],
    scheduler: 'mh',
    realServers: [{ label: 'rs9', address: '198.51.100.9' }],
  });
  c.layer7 = [
    {
      label: 'app',
      vip: '203.0.113.20',
      ports: [80],
      realServers: [
        { label: 'h1', address: '198.51.100.21' },
        { label: 'h2', address: '198.51.100.22' },
      ],
    },
  ];
  c.certificates = [];
  c.ssl = [{ label: 'tls', certificate: 'c', vip: '203.0.113.30', service: 'app' }];
  return version(1, c).config;
}

const allDown: States = {
  'layer4/rs1': { health: 'down' },
  'layer4/rs2': { admin: 'offline' },
  'layer4/rs3': { admin: 'drain' },
};

describe('ECMP VIP states', () => {
  it('announces each VIP once while some service on it has a real server that takes traffic', () => {
    expect(vipStates({ config: config(), server: server({}), drain: 'none' })).toEqual([
      { address: '203.0.113.10', state: 'announced', reason: 'healthy' },
      { address: '203.0.113.20', state: 'announced', reason: 'healthy' },
      { address: '203.0.113.30', state: 'announced', reason: 'healthy' },
    ]);
  });

  it('takes two spellings of one IPv6 VIP as one VIP (BIRD would refuse the prefix twice)', () => {
    const c = ecmpConfig();
    c.layer4[0].vip = '2001:db8:10::10';
    c.layer4.push({ ...c.layer4[0], label: 'web2', vip: '2001:DB8:10:0::10', ports: [81] });
    expect(vipStates({ config: version(1, c).config, server: server({}), drain: 'none' })).toEqual([
      { address: '2001:db8:10::10', state: 'announced', reason: 'healthy' },
    ]);
  });

  it('withdraws a VIP none of whose servers takes traffic (down, offline, drained); unchecked counts as serving', () => {
    const states = vipStates({ config: config(), server: server(allDown), drain: 'none' });
    expect(states[0]).toEqual({ address: '203.0.113.10', state: 'withdrawn', reason: 'no-healthy-real-server' });
    const unchecked = vipStates({
      config: config(),
      server: server({ ...allDown, 'layer4/rs1': { health: 'unchecked' } }),
      drain: 'none',
    });
    expect(unchecked[0]?.state).toBe('announced');
  });

  it('a VIP stays while one of its services serves; the SSL VIP follows its Layer 7 service', () => {
    const l7down = { 'layer7/h1': { health: 'down' as const }, 'layer7/h2': { health: 'down' as const } };
    const states = vipStates({ config: config(), server: server(l7down), drain: 'none' });
    // .20: app is down but api (Layer 4) serves.
    expect(states[1]).toEqual({ address: '203.0.113.20', state: 'announced', reason: 'healthy' });
    expect(states[2]).toEqual({ address: '203.0.113.30', state: 'withdrawn', reason: 'no-healthy-real-server' });
    const both = vipStates({
      config: config(),
      server: server({ ...l7down, 'layer4/rs9': { health: 'down' } }),
      drain: 'none',
    });
    expect(both[1]?.state).toBe('withdrawn');
  });

  it('a service with a fallback server still serves when every real server is down', () => {
    const c = config();
    const withFallback = {
      ...c,
      layer4: c.layer4.map((s) => (s.label === 'web' ? { ...s, fallback: { address: '198.51.100.99' } } : s)),
    };
    expect(vipStates({ config: withFallback, server: server(allDown), drain: 'none' })[0]?.state).toBe('announced');
  });

  it('draining: GRACEFUL_SHUTDOWN on what serves; drained, stale or a failed part: everything withdrawn', () => {
    const serving = { config: config(), server: server(allDown) };
    expect(vipStates({ ...serving, drain: 'draining' }).map((v) => v.state)).toEqual([
      'withdrawn',
      'draining',
      'draining',
    ]);
    const reasons = (input: Parameters<typeof vipStates>[0]) => [...new Set(vipStates(input).map((v) => v.reason))];
    expect(reasons({ ...serving, drain: 'drained' })).toEqual(['drained']);
    expect(reasons({ ...serving, drain: 'none', stale: 'version 3 behind 5' })).toEqual(['stale: version 3 behind 5']);
    expect(reasons({ ...serving, drain: 'none', partState: (p) => (p === 'layer7' ? 'failed' : 'applied') })).toEqual([
      'apply-failed: layer7',
    ]);
    // An unavailable part withdraws its own VIPs only: .20 still has its Layer 4 service.
    const noHaproxy = vipStates({
      config: config(),
      server: server({}),
      drain: 'none',
      partState: (p) => (p === 'layer7' ? 'unavailable' : 'applied'),
    });
    expect(noHaproxy.map((v) => `${v.address} ${v.state} ${v.reason}`)).toEqual([
      '203.0.113.10 announced healthy',
      '203.0.113.20 announced healthy',
      '203.0.113.30 withdrawn unavailable: layer7',
    ]);
  });
});
