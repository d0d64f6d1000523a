import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PingNodes, type PingTarget, parsePingTarget, tcpProbe } from '../src/ping.js';

describe('tcpProbe', () => {
  it('is true for a listening port and false for a closed one (loopback)', async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    expect(await tcpProbe({ type: 'tcp', address: '127.0.0.1', port }, 1000)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
    expect(await tcpProbe({ type: 'tcp', address: '127.0.0.1', port }, 1000)).toBe(false);
  });
});

describe('PingNodes', () => {
  it('reports the first result at once, then a loss only after `fall` failed rounds', async () => {
    const answers = [true, false, true, false, false, false];
    let round = 0;
    const reports: boolean[] = [];
    const monitor = new PingNodes({
      targets: [{ type: 'icmp', address: '192.0.2.254' }],
      intervalMs: 1,
      fall: 2,
      probe: async () => answers[Math.min(round++, answers.length - 1)] ?? false,
    });
    await new Promise<void>((resolve) => {
      monitor.start((r) => {
        reports.push(r);
        if (reports.length === 2) resolve();
      });
    });
    monitor.stop();
    expect(reports).toEqual([true, false]);
    expect(round).toBe(5); // rounds 4 and 5 were the two failures in a row
  });

  it('counts the group reachable while any target answers', async () => {
    const reports: boolean[] = [];
    const monitor = new PingNodes({
      targets: [
        { type: 'icmp', address: '192.0.2.254' },
        { type: 'tcp', address: '198.51.100.1', port: 80 },
      ],
      probe: async (t: PingTarget) => t.type === 'tcp',
    });
    await new Promise<void>((resolve) =>
      monitor.start((r) => {
        reports.push(r);
        resolve();
      }),
    );
    monitor.stop();
    expect(reports).toEqual([true]);
  });

  it('validates targets', () => {
    expect(parsePingTarget({ type: 'tcp', address: '2001:db8::1', port: 443 }, 'p')).toEqual({
      type: 'tcp',
      address: '2001:db8::1',
      port: 443,
    });
    expect(() => parsePingTarget({ type: 'tcp', address: '192.0.2.1' }, 'pingNodes[0]')).toThrow(
      expect.objectContaining({ field: 'pingNodes[0].port' }),
    );
    expect(() => parsePingTarget({ type: 'udp', address: '192.0.2.1' }, 'pingNodes[0]')).toThrow(
      expect.objectContaining({ field: 'pingNodes[0].type' }),
    );
    expect(() => parsePingTarget({ type: 'icmp', address: 'gw' }, 'pingNodes[0]')).toThrow(
      expect.objectContaining({ field: 'pingNodes[0].address' }),
    );
  });
});
