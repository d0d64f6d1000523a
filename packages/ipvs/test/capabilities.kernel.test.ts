import { describe, expect, it } from 'vitest';
import { capabilities, SCHEDULERS } from '../src/index.js';

describe('capabilities of the rig kernel', () => {
  it('finds every scheduler the 6.1 kernel ships, and not twos', async () => {
    const caps = await capabilities();
    // Every scheduler the package knows but twos, which the rig's 6.1 kernel predates.
    expect(caps.schedulers).toEqual(SCHEDULERS.filter((name) => name !== 'twos'));
    expect(caps.tunnelTypes).toEqual(['ipip', 'gue', 'gre']);
  });
});
