import { describe, expect, it } from 'vitest';
import { layer4Unavailable } from '../../src/model/capability.js';
import { type PartStatus, partColour, partInUse, type VirtualServiceStatus } from '../../src/model/engine-status.js';

const part = (state: PartStatus['state'], detail?: string): PartStatus => ({
  part: 'layer4',
  state,
  ...(detail ? { detail } : {}),
});
const service = (layer: 'layer4' | 'layer7') => ({ layer, realServers: [] }) as unknown as VirtualServiceStatus;

describe("the engine parts' lights", () => {
  it('unavailable with nothing to do is grey, not a warning; with services of its own it is yellow', () => {
    expect(partColour(part('unavailable', 'IPVS: not available'), false)).toBe('grey');
    expect(partColour(part('unavailable', 'IPVS: not available'), true)).toBe('yellow');
  });

  it('applied is green, applied with a warning (an address no interface holds) yellow, failed red, pending blue', () => {
    expect(partColour(part('applied'), true)).toBe('green');
    expect(partColour(part('applied', '203.0.113.80: no interface holds its network'), true)).toBe('yellow');
    expect(partColour(part('failed', 'haproxy: bind failed'), true)).toBe('red');
    expect(partColour(part('pending'), true)).toBe('blue');
  });

  it('Layer 4 is in use with a Layer 4 service; Layer 7 with a Layer 7 service or an SSL termination', () => {
    const none = { services: [], terminations: [] };
    expect(partInUse('layer4', none)).toBe(false);
    expect(partInUse('layer7', none)).toBe(false);
    expect(partInUse('addresses', none)).toBe(false);
    const l7 = { services: [service('layer7')] };
    expect(partInUse('layer4', l7)).toBe(false);
    expect(partInUse('layer7', l7)).toBe(true);
    expect(partInUse('health', l7)).toBe(true);
    expect(partInUse('layer4', { services: [service('layer4')] })).toBe(true);
    const ssl = { services: [], terminations: [{ label: 't' }] } as never;
    expect(partInUse('layer7', ssl)).toBe(true);
  });
});

describe('why Layer 4 cannot run here', () => {
  const ipvs = {
    part: 'layer4' as const,
    available: false,
    detail: 'kernel 6.1.0 has no IPVS (CONFIG_IP_VS unset)',
    fix: 'use another kernel',
  };
  const root = { part: 'root' as const, available: false, detail: 'not running as root', fix: 'run as root' };
  it("says the capability's reason as serve prints it, IPVS before root; nothing when it can", () => {
    expect(layer4Unavailable([root, ipvs])).toBe(
      'Layer 4 is unavailable on this host, because kernel 6.1.0 has no IPVS (CONFIG_IP_VS unset); fix: use another kernel.',
    );
    expect(layer4Unavailable([root, { ...ipvs, available: true }])).toBe(
      'Layer 4 is unavailable on this host, because not running as root; fix: run as root.',
    );
    expect(
      layer4Unavailable([
        { ...root, available: true },
        { ...ipvs, available: true },
      ]),
    ).toBeUndefined();
  });
});
