import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMING, type NodeConfigInput, resolveNodeConfig } from '../src/config.js';
import { HeartbeatError } from '../src/errors.js';

const VALID: NodeConfigInput = {
  nodeId: 'lb-a',
  peerId: 'lb-b',
  role: 'master',
  keys: [{ id: 1, secret: 'ab'.repeat(32) }],
};

function fault(input: unknown): { code: string; field: string | undefined } {
  try {
    resolveNodeConfig(input as NodeConfigInput);
  } catch (error) {
    expect(error).toBeInstanceOf(HeartbeatError);
    const e = error as HeartbeatError;
    return { code: e.code, field: e.field };
  }
  throw new Error('no error');
}

describe('resolveNodeConfig', () => {
  it('fills in the defaults', () => {
    const config = resolveNodeConfig(VALID);
    expect(config).toMatchObject({ priority: 100, configVersion: 0, autoFailback: true, timing: DEFAULT_TIMING });
    expect(config.sendKey.id).toBe(1);
    expect(config.sendKey.secret).toHaveLength(32);
  });

  it('names the field at fault', () => {
    const cases: [Partial<NodeConfigInput> | Record<string, unknown>, string][] = [
      [{ nodeId: 'a b' }, 'nodeId'],
      [{ peerId: 'lb-a' }, 'peerId'],
      [{ role: 'primary' }, 'role'],
      [{ priority: -1 }, 'priority'],
      [{ autoFailback: 'yes' }, 'autoFailback'],
      [{ keys: [] }, 'keys'],
      [{ keys: [{ id: 1, secret: 'abcd' }] }, 'keys[0].secret'],
      [{ keys: [{ id: 1, secret: 'not hex!' }] }, 'keys[0].secret'],
      [{ keys: [{ id: 0, secret: 'ab'.repeat(16) }] }, 'keys[0].id'],
      [
        {
          keys: [
            { id: 1, secret: 'ab'.repeat(16) },
            { id: 1, secret: 'cd'.repeat(16) },
          ],
        },
        'keys[1].id',
      ],
      [{ sendKeyId: 3 }, 'sendKeyId'],
      [{ timing: { keepaliveMs: 0 } }, 'timing.keepaliveMs'],
      [{ timing: { bogusMs: 5 } }, 'timing.bogusMs'],
      [{ timing: { deadtimeMs: 60 } }, 'timing.deadtimeMs'],
      [{ timing: { warntimeMs: 10 } }, 'timing.warntimeMs'],
      [{ timing: { initdeadMs: 100 } }, 'timing.initdeadMs'],
    ];
    for (const [change, field] of cases) {
      expect(fault({ ...VALID, ...change }), field).toEqual({ code: 'HEARTBEAT_INVALID_CONFIG', field });
    }
  });
});
