import { describe, expect, it } from 'vitest';
import { describeStatus, type StatusReply } from '../../src/cli/status.js';

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
