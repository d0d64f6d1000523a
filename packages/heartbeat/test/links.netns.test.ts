import { afterEach, describe, expect, it } from 'vitest';
import { type PairLab, pairLab, VIP4, waitFor } from './support/pair-lab.js';

let lab: PairLab | undefined;
afterEach(async () => {
  await lab?.destroy();
  lab = undefined;
});

describe('other link kinds between namespaces', () => {
  it('IPv6 unicast and IPv4 multicast links: both up, one cut is not a failover, both cut is', async () => {
    const l = await pairLab({ links: 'unicast' });
    lab = l;
    await l.start(l.a);
    await l.start(l.b);
    await waitFor('lb-a active', () => l.a.state() === 'active');
    await waitFor('both links up on lb-b', () => {
      const up = new Set(
        l.b
          .events()
          .filter((e) => e.type === 'link-up')
          .map((e) => e.link),
      );
      return up.has('lan') && up.has('direct');
    });
    expect(l.b.events().some((e) => e.type === 'packet-rejected')).toBe(false);
    await l.a.host.ip(['link', 'set', l.a.directIf, 'down']);
    await waitFor('multicast link down on lb-b', () =>
      l.b.events().some((e) => e.type === 'link-down' && e.link === 'direct'),
    );
    expect(l.b.state()).toBeUndefined();
    await l.crash(l.a);
    await waitFor('lb-b active', () => l.b.state() === 'active');
    await waitFor('client served by lbb', async () => (await l.servedBy(VIP4)) === 'lbb');
  });
});
