import { describe, expect, it } from 'vitest';
import { capabilities } from '../src/index.js';

const probe = (kernel: string, files: Record<string, string>) => ({
  kernelRelease: () => kernel,
  readText: async (path: string) => files[path],
});

describe('capabilities', () => {
  it('lists schedulers that are loaded, built in or installed as modules', async () => {
    const caps = await capabilities(
      probe('6.1.0-test', {
        '/proc/modules': 'ip_vs_rr 16384 1 - Live 0x0\nip_vs 180224 3 ip_vs_rr, Live 0x0\n',
        '/lib/modules/6.1.0-test/modules.dep':
          'kernel/net/netfilter/ipvs/ip_vs_wlc.ko: kernel/net/netfilter/ipvs/ip_vs.ko\nkernel/net/netfilter/ipvs/ip_vs_mh.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko\n',
        '/lib/modules/6.1.0-test/modules.builtin': 'kernel/net/netfilter/ipvs/ip_vs_sh.ko\n',
      }),
    );
    expect(caps.schedulers).toEqual(['rr', 'wlc', 'sh', 'mh']);
    expect(caps.tunnelTypes).toEqual(['ipip', 'gue', 'gre']);
  });

  it('does not mistake one scheduler for another with a longer name', async () => {
    const caps = await capabilities(probe('6.1.0', { '/proc/modules': 'ip_vs_lblcr 16384 0 - Live 0x0\n' }));
    expect(caps.schedulers).toEqual(['lblcr']);
  });

  it('reads the schedulers built into a kernel without module lists from its symbols', async () => {
    const kallsyms = [
      '0000000000000000 t ip_vs_rr_schedule',
      '0000000000000000 t __ip_vs_lblcr_schedule',
      '0000000000000000 t ip_vs_mh_schedule',
      '0000000000000000 t ip_vs_wlc_schedule\t[ip_vs_wlc]',
      '0000000000000000 t ip_vs_sed_schedule_other',
    ].join('\n');
    const caps = await capabilities(probe('6.1.176', { '/proc/kallsyms': kallsyms }));
    expect(caps.schedulers).toEqual(['rr', 'wlc', 'mh']);
    // With module lists, they are the answer: the symbols are not read.
    const listed = await capabilities(
      probe('6.1.176', { '/proc/kallsyms': kallsyms, '/lib/modules/6.1.176/modules.dep': '' }),
    );
    expect(listed.schedulers).toEqual([]);
  });

  it('offers only ipip tunnels before Linux 5.3, and nothing when no list can be read', async () => {
    expect(await capabilities(probe('4.19.0', {}))).toEqual({
      kernel: '4.19.0',
      schedulers: [],
      tunnelTypes: ['ipip'],
    });
  });
});
