import { describe, expect, it } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import { type HeartbeatSection, parsePeerSpec, resolveIdentity } from '../../src/ha/identity.js';

const section: HeartbeatSection = {
  enabled: true,
  peer: { name: 'lb2', address: '192.0.2.2' },
  links: [{ interface: 'eth0' }, { interface: 'eth1', peerAddress: '198.51.100.2' }],
  key: 'a pair key of sixteen or more',
  pingNodes: [],
  autoFailback: true,
};
const master = { eth0: ['192.0.2.1', 'fe80::1'], eth1: ['198.51.100.1'] };
const slave = { eth0: ['192.0.2.2'], eth1: ['198.51.100.2'] };

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApplianceError);
    return (error as ApplianceError).code;
  }
  return undefined;
}

describe('HA identity: the shared heartbeat section seen from each node', () => {
  it('the master sends to the slave on every link, from its own address on that link', () => {
    expect(resolveIdentity(section, { role: 'master' }, master, 9080)).toEqual({
      role: 'master',
      nodeId: 'master',
      peerId: 'lb2',
      peerAddress: '192.0.2.2',
      peerUrl: 'http://192.0.2.2:9080',
      links: [
        { name: 'eth0', type: 'unicast', peer: '192.0.2.2', port: 694, local: '192.0.2.1' },
        { name: 'eth1', type: 'unicast', peer: '198.51.100.2', port: 695, local: '198.51.100.1' },
      ],
    });
  });

  it('the slave is heartbeat.peer and sends to the master named by --ha-peer, one address per link', () => {
    const identity = resolveIdentity(
      section,
      { role: 'slave', peer: { name: 'lb1', addresses: ['192.0.2.1', '198.51.100.1'] }, linkPort: 7000 },
      slave,
      9080,
    );
    expect(identity).toMatchObject({ role: 'slave', nodeId: 'lb2', peerId: 'lb1', peerAddress: '192.0.2.1' });
    expect(identity.links.map((l) => [l.type === 'unicast' && l.peer, l.port])).toEqual([
      ['192.0.2.1', 7000],
      ['198.51.100.1', 7001],
    ]);
    // One address for every link when only one is given.
    const one = resolveIdentity(section, { role: 'slave', peer: { addresses: ['2001:db8::1'] } }, slave, 9080);
    expect(one.peerId).toBe('master');
    expect(one.peerUrl).toBe('http://[2001:db8::1]:9080');
  });

  it('without --ha-role, a node holding heartbeat.peer.address is the slave', () => {
    expect(resolveIdentity(section, {}, master, 9080).role).toBe('master');
    expect(resolveIdentity(section, { peer: { addresses: ['192.0.2.1'] } }, slave, 9080).role).toBe('slave');
  });

  it('refuses a slave without the master, and a master named like the slave', () => {
    expect(code(() => resolveIdentity(section, { role: 'slave' }, slave, 9080))).toBe('HA_DISABLED');
    expect(code(() => resolveIdentity(section, { role: 'master', name: 'lb2' }, master, 9080))).toBe('HA_DISABLED');
  });

  it('parses --ha-peer', () => {
    expect(parsePeerSpec('lb1@192.0.2.1')).toEqual({ name: 'lb1', address: '192.0.2.1' });
    expect(parsePeerSpec('2001:db8::1')).toEqual({ address: '2001:db8::1' });
    expect(code(() => parsePeerSpec('lb1@example.com'))).toBe('HA_DISABLED');
    expect(code(() => parsePeerSpec('bad name@192.0.2.1'))).toBe('HA_DISABLED');
  });
});
