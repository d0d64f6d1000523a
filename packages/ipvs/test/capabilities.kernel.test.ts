import { describe, expect, it } from 'vitest';
import { capabilities } from '../src/index.js';

describe('capabilities of the rig kernel', () => {
  it('finds every scheduler the 6.1 kernel ships, and not twos', async () => {
    const caps = await capabilities();
    expect(caps.schedulers).toEqual([
      'rr',
      'wrr',
      'lc',
      'wlc',
      'lblc',
      'lblcr',
      'dh',
      'sh',
      'sed',
      'nq',
      'fo',
      'ovf',
      'mh',
    ]);
    expect(caps.tunnelTypes).toEqual(['ipip', 'gue', 'gre']);
  });
});
