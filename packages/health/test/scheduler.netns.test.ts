import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRig, type Rig } from './support/rig.js';

const SERVER = '192.0.2.2';
let rig: Rig;

beforeAll(async () => {
  rig = await makeRig();
  // Statuses in turn, one per request: the server decides the sequence, not the timing.
  await rig.serve('http', 8080, { script: [200, 200, 200, 500, 500, 200, 500, 200, 200, 200] });
  await rig.serve('http', 8081, { script: [200] });
  await rig.serve('http', 8082);
});

afterAll(async () => {
  await rig?.lab.destroy();
  if (rig) await rm(rig.dir, { recursive: true, force: true });
});

/** The server namespace's count of resets received on half-open connections (TcpExt EmbryonicRsts). */
async function embryonicResets(): Promise<number> {
  const { stdout } = await rig.server.exec('cat', ['/proc/net/netstat']);
  const lines = stdout.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = (lines[0] ?? '').split(' ');
  const values = (lines[1] ?? '').split(' ');
  const at = names.indexOf('EmbryonicRsts');
  if (at < 0) throw new Error('no TcpExt EmbryonicRsts counter in /proc/net/netstat');
  return Number(values[at]);
}

describe('the scheduler against real servers', () => {
  it('rises and falls after exactly `rise` and `fall` checks', async () => {
    const out = await rig.schedule({
      targets: [
        {
          id: 'web/a',
          address: SERVER,
          port: 8080,
          check: { type: 'negotiate', path: '/script', expectStatus: [200] },
          intervalMs: 50,
          timeoutMs: 2000,
          rise: 3,
          fall: 2,
        },
      ],
      results: 10,
    });
    expect(out.events.slice(0, 10).map((e) => e.state)).toEqual([
      'unknown',
      'unknown',
      'up',
      'up',
      'down',
      'down',
      'down',
      'down',
      'down',
      'up',
    ]);
    expect(out.transitions.map((t) => [t.from, t.to, t.reason])).toEqual([
      ['unknown', 'up', 'passed'],
      ['up', 'down', 'bad-status'],
      ['down', 'up', 'passed'],
    ]);
  });

  it('runs an identical check shared by two services once per round', async () => {
    const check = { type: 'negotiate', path: '/script' } as const;
    const common = { address: SERVER, port: 8081, check, intervalMs: 50, rise: 1 };
    const out = await rig.schedule({
      targets: [
        { id: 'web/a', service: 'web', ...common },
        { id: 'api/a', service: 'api', ...common, fall: 5 },
      ],
      results: 6,
    });
    const perTarget = (id: string) => out.events.filter((e) => e.target === id).length;
    expect(perTarget('web/a')).toBe(perTarget('api/a'));
    expect(out.snapshot.map((s) => [s.id, s.sharedBy, s.state])).toEqual([
      ['web/a', 2, 'up'],
      ['api/a', 2, 'up'],
    ]);
    // The server saw one request per round, not one per target.
    const served = await rig.server.exec(process.execPath, [
      '-e',
      `fetch('http://${SERVER}:8081/count').then(r => r.text()).then(t => process.stdout.write(t))`,
    ]);
    expect(Number(served.stdout.trim())).toBe(perTarget('web/a'));
  });

  it('runs connect checks through the native lane: exact rise, refused, timeout, and no TIME_WAIT left', async () => {
    const connect = { type: 'connect' } as const;
    const resetsBefore = await embryonicResets();
    const out = await rig.schedule({
      connect: 'native',
      targets: [
        { id: 'up', address: SERVER, port: 8082, check: connect, intervalMs: 100, rise: 2 },
        { id: 'up6', address: '2001:db8::2', port: 8082, check: connect, intervalMs: 100, rise: 1 },
        { id: 'refused', address: SERVER, port: 8099, check: connect, intervalMs: 100, initialState: 'up', fall: 2 },
        { id: 'blackhole', address: '198.51.100.7', port: 80, check: connect, intervalMs: 300, timeoutMs: 250 },
      ],
      results: 3,
    });
    const of = (id: string) => out.events.filter((e) => e.target === id).slice(0, 3);
    expect(of('up').map((e) => e.state)).toEqual(['unknown', 'up', 'up']);
    expect(of('up6').map((e) => e.state)).toEqual(['up', 'up', 'up']);
    expect(of('refused').map((e) => [e.reason, e.state])).toEqual([
      ['refused', 'up'],
      ['refused', 'down'],
      ['refused', 'down'],
    ]);
    expect(of('blackhole').map((e) => [e.reason, e.state])).toEqual([
      ['timeout', 'down'],
      ['timeout', 'down'],
      ['timeout', 'down'],
    ]);
    expect(out.transitions.find((t) => t.target === 'blackhole')).toMatchObject({
      reason: 'timeout',
      detail: 'no conclusive answer within 250 ms',
    });
    // A socket that connected is dissolved and reused: the up targets (6 checks or more)
    // needed about one socket each, the failing ones a new socket per check.
    const checks = out.events.length;
    expect(out.connectPath.counters?.reused).toBeGreaterThanOrEqual(4);
    expect((out.connectPath.counters?.opened ?? 0) + (out.connectPath.counters?.reused ?? 0)).toBeGreaterThanOrEqual(
      checks,
    );
    // Connected checks end with a reset, never a FIN: nothing lingers in TIME_WAIT (the
    // negotiate tests above do leave some, towards their own ports).
    const { stdout } = await rig.client.exec('ss', ['-H', '-tan', 'state', 'time-wait', '( dport = :8082 )']);
    expect(stdout.trim()).toBe('');
    // The reset follows the SYN-ACK without an ACK (as HAProxy's plain TCP checks): the
    // server drops a half-open connection instead of making and queueing a socket. The
    // kernel delays that ACK 200 ms, so at least some of the checks must have been reset
    // before it (the socket path completes every handshake and adds none of these).
    expect((await embryonicResets()) - resetsBefore).toBeGreaterThan(0);
  });

  it('collects answers in the middle of a long turn: 300 checks due at once share a few sockets', async () => {
    // Distinct intervals make distinct runs; with no warm-up and a 1 s tick grid they all
    // start in one tick (two at worst, if adding them crosses a tick).
    const targets = Array.from({ length: 300 }, (_, i) => ({
      id: `t${i}`,
      address: SERVER,
      port: 8082,
      check: { type: 'connect' } as const,
      intervalMs: 1000 + i,
      rise: 1,
    }));
    const out = await rig.schedule({ connect: 'native', targets, results: 2, concurrency: 1000, tickMs: 1000 });
    expect(out.snapshot.filter((s) => s.state === 'up')).toHaveLength(300);
    expect(out.events.every((e) => e.ok)).toBe(true);
    // Answers were taken every 64 starts, and their sockets served later checks of the turn.
    expect(out.connectPath.counters?.harvested).toBeGreaterThanOrEqual(64);
    expect(out.connectPath.counters?.opened).toBeLessThan(150);
    expect(out.connectPath.counters?.reused).toBeGreaterThan(450);
  });
});
