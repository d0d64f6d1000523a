import { describe, expect, it } from 'vitest';
import { describeHa } from '../../src/cli/status.js';

describe('status: the HA line', () => {
  it('says since when and why the node is active or passive, and each warning', () => {
    expect(
      describeHa({
        enabled: true,
        role: 'slave',
        state: 'active',
        link: 'down',
        peer: { name: 'lb1', address: '192.0.2.1' },
        warnings: ['no heartbeat from lb1'],
        since: '2026-12-06T23:00:00.000Z',
        reason: 'peer-dead',
      }),
    ).toEqual([
      'HA: slave, active since 2026-12-06T23:00:00.000Z (peer-dead), link down; peer lb1 (192.0.2.1)',
      '  ! no heartbeat from lb1',
    ]);
    expect(describeHa({ enabled: false, role: 'standalone', state: 'active', link: 'unknown', warnings: [] })).toEqual([
      'HA: standalone (always active)',
    ]);
  });
});
