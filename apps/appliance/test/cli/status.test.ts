import { describe, expect, it } from 'vitest';
import { describeHa, describeStatus, type StatusReply } from '../../src/cli/status.js';

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

const reply = (connectionSync?: StatusReply['engine']['connectionSync']): StatusReply => ({
  configVersion: 3,
  ha: { enabled: true, role: 'master', state: 'active', link: 'up', warnings: [] } as unknown as StatusReply['ha'],
  engine: {
    version: 3,
    parts: [{ part: 'layer4', state: 'applied' }],
    services: [],
    ...(connectionSync ? { connectionSync } : {}),
  },
});

describe('status text: connection sync', () => {
  it('follows the engine parts: the role with its interface and sync id, or the reason it does not run', () => {
    expect(describeStatus(reply({ state: 'master', interface: 'eth1', syncId: 7 }))).toContain(
      'engine:\n  layer4: applied\n  connection sync: master on eth1 (sync id 7)\n',
    );
    expect(
      describeStatus(
        reply({ state: 'failed', interface: 'eth9', syncId: 0, detail: 'connection sync backup: ENODEV' }),
      ),
    ).toContain('  connection sync: failed on eth9 (sync id 0) — connection sync backup: ENODEV');
    expect(describeStatus(reply())).not.toContain('connection sync');
  });
});

describe('status text: SSL terminations', () => {
  it('lists each HTTPS listener with the Layer 7 service it feeds', () => {
    const status = reply();
    status.engine.terminations = [
      { label: 'tls', vip: '192.0.2.30', port: 443, certificate: 'site', service: 'site', colour: 'grey' },
    ];
    expect(describeStatus(status)).toContain(
      'virtual services:\n  [grey] ssl tls 192.0.2.30:443 https, feeds layer7 site',
    );
  });
});
