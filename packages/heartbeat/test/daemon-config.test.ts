import { describe, expect, it } from 'vitest';
import { type DaemonConfig, startDaemon } from '../src/daemon.js';
import { HeartbeatError } from '../src/errors.js';

// A field the daemon does not know is a typo or a setting of another version: refused,
// naming it, before a socket opens or an address is touched.

const VALID: DaemonConfig = {
  nodeId: 'lb-a',
  peerId: 'lb-b',
  role: 'master',
  keys: [{ id: 1, secret: 'ab'.repeat(32) }],
  links: [{ type: 'unicast', local: '192.0.2.1', peer: '192.0.2.2', port: 1694 }],
};

async function refusal(config: unknown): Promise<HeartbeatError> {
  const error = await startDaemon(config as DaemonConfig).then(
    (daemon) => daemon.stop().then(() => new Error('started')),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HeartbeatError);
  return error as HeartbeatError;
}

describe('the daemon configuration file', () => {
  it('refuses the retired python field, saying what replaced it', async () => {
    const error = await refusal({ ...VALID, python: '/usr/bin/python3' });
    expect(error.code).toBe('HEARTBEAT_INVALID_CONFIG');
    expect(error.field).toBe('python');
    expect(error.message).toContain('"node"');
  });

  it('refuses an unknown field by name', async () => {
    const error = await refusal({ ...VALID, flaotingIps: [] });
    expect(error).toMatchObject({ code: 'HEARTBEAT_INVALID_CONFIG', field: 'flaotingIps' });
  });
});
