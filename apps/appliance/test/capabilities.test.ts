import { describe, expect, it } from 'vitest';
import { describeCapabilities, detectCapabilities, type HostProbe } from '../src/index.js';

function probe(overrides: Partial<HostProbe> & { files?: Record<string, string> } = {}): HostProbe {
  const files = overrides.files ?? {};
  return {
    isRoot: () => true,
    kernelRelease: () => '6.1.0-test',
    readFile: (path) => files[path],
    exists: (path) => path in files,
    run: async () => undefined,
    ...overrides,
  };
}

describe('capabilities', () => {
  it('reports IPVS, HAProxy and root when the host has them', async () => {
    const caps = await detectCapabilities(
      probe({
        files: { '/proc/net/ip_vs': 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port\n' },
        run: async (file) => (file === 'haproxy' ? 'HAProxy version 2.6.12-1+deb12u2 2025/01/01\n' : undefined),
      }),
    );
    expect(caps.every((c) => c.available)).toBe(true);
    // Stable names the web wizard asks for (which modes this host can run).
    expect(caps.map((c) => c.id)).toEqual(['root', 'ipvs', 'haproxy']);
    expect(caps.map((c) => c.part)).toEqual(['root', 'layer4', 'layer7']);
    expect(caps.map((c) => c.detail)).toEqual([
      'running as root',
      'IP Virtual Server version 1.2.1 (size=4096)',
      'HAProxy 2.6.12-1+deb12u2',
    ]);
  });

  it('says how to fix each missing part', async () => {
    const caps = await detectCapabilities(probe({ isRoot: () => false }));
    expect(caps.filter((c) => c.available)).toEqual([]);
    expect(caps.map((c) => c.fix)).toEqual([
      expect.stringMatching(/root/),
      expect.stringMatching(/CONFIG_IP_VS/),
      'apt-get install haproxy',
    ]);
    expect(describeCapabilities(caps)).toMatch(/cannot: Layer 4 virtual services .*kernel 6\.1\.0-test has no IPVS/);
  });

  it('tells an unloaded ip_vs module from a kernel without IPVS', async () => {
    const caps = await detectCapabilities(
      probe({
        files: { '/lib/modules/6.1.0-test/modules.dep': 'kernel/net/netfilter/ipvs/ip_vs.ko: nf_conntrack.ko\n' },
      }),
    );
    expect(caps[1]).toMatchObject({ available: false, fix: 'modprobe ip_vs' });
  });
});
