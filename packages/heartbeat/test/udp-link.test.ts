import { afterEach, describe, expect, it } from 'vitest';
import { HeartbeatNode } from '../src/node.js';
import { checkLinkPorts, UdpLink } from '../src/udp-link.js';

const open: UdpLink[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

async function link(...args: Parameters<typeof UdpLink.open>) {
  const l = await UdpLink.open(...args);
  open.push(l);
  return l;
}

function received(l: UdpLink): Promise<Buffer> {
  return new Promise((resolve) => l.onReceive(resolve));
}

describe('UdpLink on loopback', () => {
  it('carries datagrams both ways over IPv4 and IPv6 unicast', async () => {
    for (const [a, b] of [
      ['127.0.0.1', '127.0.0.2'],
      ['::1', '::1'],
    ] as const) {
      const pa = 40_000 + Math.floor(Math.random() * 10_000);
      const pb = pa + 1;
      // Different ports stand in for two hosts on one loopback.
      const x = await link({ type: 'unicast', local: a, peer: b, port: pa, peerPort: pb });
      const y = await link({ type: 'unicast', local: b, peer: a, port: pb, peerPort: pa });
      const atY = received(y);
      x.send(Buffer.from('hello'));
      expect((await atY).toString()).toBe('hello');
      const atX = received(x);
      y.send(Buffer.from('back'));
      expect((await atX).toString()).toBe('back');
    }
  });

  it('fails with HEARTBEAT_LINK_FAILED and the field when the port is taken', async () => {
    const port = 50_000 + Math.floor(Math.random() * 10_000);
    await link({ type: 'unicast', local: '127.0.0.1', peer: '127.0.0.1', port });
    await expect(
      UdpLink.open({ type: 'unicast', local: '127.0.0.1', peer: '127.0.0.1', port }, 'links[1]'),
    ).rejects.toMatchObject({
      code: 'HEARTBEAT_LINK_FAILED',
      field: 'links[1]',
    });
  });

  it('validates its configuration', async () => {
    await expect(UdpLink.open({ type: 'unicast', peer: 'lb-b' }, 'links[0]')).rejects.toMatchObject({
      code: 'HEARTBEAT_INVALID_CONFIG',
      field: 'links[0].peer',
    });
    await expect(UdpLink.open({ type: 'broadcast', broadcast: 'ff02::1' })).rejects.toMatchObject({
      field: 'links[0].broadcast',
    });
    await expect(UdpLink.open({ type: 'multicast', group: 'ff02::694' })).rejects.toMatchObject({
      field: 'links[0].interface',
    });
    await expect(UdpLink.open({ type: 'unicast', peer: '127.0.0.1', port: 70_000 }, 'links[2]')).rejects.toMatchObject({
      field: 'links[2].port',
    });
    await expect(UdpLink.open({ type: 'serial' } as never)).rejects.toMatchObject({ field: 'links[0].type' });
  });

  it('two nodes elect a master over real sockets', async () => {
    const pa = 40_000 + Math.floor(Math.random() * 10_000);
    const x = await link({ type: 'unicast', local: '127.0.0.1', peer: '127.0.0.1', port: pa, peerPort: pa + 1 });
    const y = await link({ type: 'unicast', local: '127.0.0.1', peer: '127.0.0.1', port: pa + 1, peerPort: pa });
    const keys = [{ id: 1, secret: 'cd'.repeat(32) }];
    const a = new HeartbeatNode({ config: { nodeId: 'lb-a', peerId: 'lb-b', role: 'master', keys }, links: [x] });
    const b = new HeartbeatNode({ config: { nodeId: 'lb-b', peerId: 'lb-a', role: 'slave', keys }, links: [y] });
    const seenActive = new Promise<void>((resolve) =>
      b.onEvent((e) => {
        if ((e.type === 'peer-changed' || e.type === 'peer-up') && e.peer.state === 'active') resolve();
      }),
    );
    a.start();
    b.start();
    await seenActive;
    expect(a.status().state).toBe('active');
    expect(b.status()).toMatchObject({ state: 'passive', link: 'up', peer: { state: 'active' } });
    await a.stop();
    await b.stop();
  });
});

describe('checkLinkPorts', () => {
  it("refuses a unicast link on a broadcast link's port, naming the later link's port", () => {
    expect(() =>
      checkLinkPorts([
        { name: 'lan', type: 'broadcast', broadcast: '192.0.2.255' },
        { name: 'cable', type: 'multicast', group: 'ff02::694', interface: 'eth1', port: 695 },
        { name: 'mgmt', type: 'unicast', local: '198.51.100.1', peer: '198.51.100.2' },
      ]),
    ).toThrow(
      expect.objectContaining({
        code: 'HEARTBEAT_INVALID_CONFIG',
        field: 'links[2].port',
        message: expect.stringContaining('port 694 is taken by links[0] (lan, bound to 0.0.0.0)'),
      }),
    );
  });

  it('accepts links on their own ports, and unicast links on different local addresses sharing one', () => {
    expect(() =>
      checkLinkPorts([
        { name: 'lan', type: 'broadcast', broadcast: '192.0.2.255', port: 694 },
        { name: 'cable', type: 'multicast', group: 'ff02::694', interface: 'eth1', port: 695 },
        { name: 'mgmt', type: 'unicast', local: '198.51.100.1', peer: '198.51.100.2', port: 696 },
        { name: 'backup', type: 'unicast', local: '203.0.113.1', peer: '203.0.113.2', port: 696 },
      ]),
    ).not.toThrow();
  });
});
