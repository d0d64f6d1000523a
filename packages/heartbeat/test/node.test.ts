import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMING } from '../src/config.js';
import { encodePacket } from '../src/packet.js';
import { FakeClock, makeNode, makePair, SECRET, settle, wire } from './support/fakes.js';

const { keepaliveMs, warntimeMs, deadtimeMs, initdeadMs, announceRepeatMs, announceDelayMs } = DEFAULT_TIMING;

/** A started pair, settled with lb-a (master) active. */
async function runningPair(options: Parameters<typeof makePair>[0] = {}) {
  const pair = makePair(options);
  pair.a.node.start();
  pair.b.node.start();
  await pair.clock.advance(10);
  return pair;
}

describe('start-up', () => {
  it('the configured master becomes active as soon as it hears the slave; the slave stays passive', async () => {
    const { a, b } = await runningPair();
    expect(a.node.status()).toMatchObject({ role: 'master', state: 'active', link: 'up' });
    expect(b.node.status()).toMatchObject({ role: 'slave', state: 'passive', link: 'up' });
    expect(b.node.status().peer).toMatchObject({ state: 'active', role: 'master' });
    expect(a.transitions()).toEqual(['passive>acquiring:elected', 'acquiring>active:acquired']);
    expect(a.of('state')[0]).toMatchObject({ rule: 'role' });
    expect(b.transitions()).toEqual([]);
    expect(a.journal).toEqual(['vip:acquire', 'ipvs:acquire', 'vip:announce:acquired', 'ipvs:announce:acquired']);
    // Events are numbered in order, the first is `started`.
    expect(a.events[0]).toMatchObject({ type: 'started', seq: 1 });
    expect(a.events.map((e) => e.seq)).toEqual(a.events.map((_, i) => i + 1));
  });

  it('with bursts of two and no second burst, repeats the announcement once, announceRepeatMs after the takeover', async () => {
    const { a, clock } = await runningPair({ timing: { announceCount: 2, announceDelayMs: 0 } });
    const announces = () => a.journal.filter((j) => j.startsWith('vip:announce'));
    await clock.advance(announceRepeatMs - 10);
    expect(announces()).toEqual(['vip:announce:acquired']);
    await clock.advance(10);
    expect(announces()).toEqual(['vip:announce:acquired', 'vip:announce:repeat']);
    await clock.advance(10 * announceRepeatMs);
    expect(announces()).toHaveLength(2);
  });

  it('a node alone waits initdead, then takes over (with its ping nodes reachable)', async () => {
    const clock = new FakeClock();
    const [link] = wire('link0', clock);
    const a = makeNode(clock, [link], { nodeId: 'lb-b', peerId: 'lb-a', role: 'slave' });
    a.node.start();
    await clock.advance(initdeadMs - 1);
    expect(a.node.status().state).toBe('passive');
    expect(a.node.status().peer.state).toBe('unknown');
    await clock.advance(1);
    expect(a.of('peer-dead')).toMatchObject([{ reason: 'initdead', at: initdeadMs }]);
    expect(a.transitions()).toEqual(['passive>acquiring:no-peer-at-start', 'acquiring>active:acquired']);
    expect(a.node.status()).toMatchObject({ link: 'down', links: [{ name: 'link0', state: 'down' }] });
  });

  it('sends a heartbeat on every link every keepalive, each datagram with its own sequence number', async () => {
    const { a, clock } = await runningPair();
    const before = a.links.map((l) => l.sent.length);
    await clock.advance(keepaliveMs * 10);
    const after = a.links.map((l) => l.sent.length);
    expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([10, 10]);
    const sequences = a.links.flatMap((l) => l.sent.map((d) => d.readBigUInt64BE(28)));
    expect(new Set(sequences).size).toBe(sequences.length);
  });
});

describe('failure of the active node', () => {
  it('late exactly warntime, dead exactly deadtime after the last heartbeat on any link; then the slave takes over', async () => {
    const { a, b, clock, cutAll } = await runningPair();
    // Heartbeats leave lb-a at 0, 50, 100, ... and arrive 1 ms later: at 501 the last one has just arrived.
    await clock.advance(491);
    expect(clock.now()).toBe(501);
    b.events.length = 0;
    cutAll(); // lb-a is gone: nothing more from it on any link
    const lastHeard = clock.now();
    await clock.advance(warntimeMs - 1);
    expect(b.of('peer-late')).toEqual([]);
    await clock.advance(1);
    expect(b.of('peer-late')).toMatchObject([{ at: lastHeard + warntimeMs, silentMs: warntimeMs }]);
    await clock.advance(deadtimeMs - warntimeMs - 1);
    expect(b.node.status().state).toBe('passive');
    expect(b.of('peer-dead')).toEqual([]);
    await clock.advance(1);
    const types = b.events.map((e) => e.type);
    expect(types).toEqual(['peer-late', 'link-down', 'link-down', 'peer-dead', 'state', 'state', 'announce']);
    expect(b.of('peer-dead')).toMatchObject([{ reason: 'deadtime', at: lastHeard + deadtimeMs }]);
    expect(b.transitions()).toEqual(['passive>acquiring:peer-dead', 'acquiring>active:acquired']);
    expect(b.node.status()).toMatchObject({ state: 'active', link: 'down', peer: { state: 'unknown' } });
    expect(a.node.status().state).toBe('active');
  });

  it('one link heard keeps the peer alive: death is measured from the last heartbeat on any link', async () => {
    const { b, clock, cut } = await runningPair();
    await clock.advance(491);
    cut(0);
    await clock.advance(100);
    cut(1);
    const lastHeard = 601;
    await clock.advance(deadtimeMs);
    expect(b.of('link-down').map((e) => [e.link, e.at])).toEqual([
      ['link0', 501 + deadtimeMs],
      ['link1', lastHeard + deadtimeMs],
    ]);
    expect(b.of('peer-dead')).toMatchObject([{ at: lastHeard + deadtimeMs }]);
  });

  it('a single link cut is a link down, not a failover', async () => {
    const { a, b, clock, cut } = await runningPair();
    cut(0);
    await clock.advance(deadtimeMs * 10);
    expect(b.of('link-down').map((e) => e.link)).toEqual(['link0']);
    expect(b.of('peer-dead')).toEqual([]);
    expect(b.node.status()).toMatchObject({
      state: 'passive',
      link: 'up',
      links: [
        { name: 'link0', state: 'down' },
        { name: 'link1', state: 'up' },
      ],
    });
    expect(a.node.status().state).toBe('active');
    cut(0, false);
    await clock.advance(keepaliveMs * 2);
    expect(b.of('link-up').map((e) => e.link)).toEqual(['link0', 'link1', 'link0']);
  });
});

describe('a stalled receiver', () => {
  it('reads the heartbeats waiting for it before it declares the peer dead', async () => {
    const { a, b, clock, cutAll } = await runningPair();
    await clock.advance(491);
    cutAll();
    clock.holding = true;
    await clock.advance(deadtimeMs);
    // The deadline has passed, but a heartbeat sent meanwhile is still unread.
    const waiting = a.links[0]?.sent.at(-1);
    if (!waiting) throw new Error('no heartbeat');
    b.links[0]?.deliver(waiting);
    clock.runDeferred();
    expect(b.of('peer-dead')).toEqual([]);
    expect(b.node.status().state).toBe('passive');
    // With nothing more arriving, the peer does die one deadtime after that heartbeat.
    clock.holding = false;
    await clock.advance(deadtimeMs);
    expect(b.of('peer-dead')).toHaveLength(1);
  });
});

describe('failback', () => {
  async function masterRestarts(autoFailback: boolean) {
    const pair = await runningPair({ autoFailback });
    const { a, b, clock, cutAll } = pair;
    // lb-a crashes: silence on every link; lb-b takes over.
    cutAll();
    await clock.advance(deadtimeMs + keepaliveMs);
    expect(b.node.status().state).toBe('active');
    // lb-a comes back as a new process: new epoch, passive, its resources gone with it.
    const links = a.links.map((l) => {
      l.cut = false;
      if (l.peer) l.peer.cut = false;
      return l;
    });
    await a.node.stop();
    const a2 = makeNode(
      clock,
      links,
      { nodeId: 'lb-a', peerId: 'lb-b', role: 'master', autoFailback },
      { epoch: 2000 },
    );
    a2.node.start();
    await clock.advance(keepaliveMs * 4);
    return { a2, b, clock };
  }

  it('with auto-failback the slave hands back and the master takes over', async () => {
    const { a2, b } = await masterRestarts(true);
    expect(b.transitions().slice(2)).toEqual(['active>releasing:failback', 'releasing>passive:released']);
    expect(a2.transitions()).toEqual(['passive>acquiring:elected', 'acquiring>active:acquired']);
    // The slave released before the master acquired: never both.
    const released = b.of('state').find((e) => e.to === 'passive')?.seq ?? 0;
    expect(released).toBeGreaterThan(0);
    expect(b.journal.slice(-2)).toEqual(['ipvs:release', 'vip:release']);
  });

  it('without auto-failback the returning master stays passive', async () => {
    const { a2, b, clock } = await masterRestarts(false);
    await clock.advance(1000);
    expect(b.node.status().state).toBe('active');
    expect(a2.node.status()).toMatchObject({ state: 'passive', peer: { state: 'active' } });
    expect(a2.transitions()).toEqual([]);
  });
});

describe('operator commands', () => {
  it('takeover on the slave: the master releases, then the slave acquires', async () => {
    const { a, b, clock } = await runningPair();
    b.node.takeover();
    await clock.advance(keepaliveMs);
    expect(a.transitions().slice(2)).toEqual(['active>releasing:peer-takeover', 'releasing>passive:released']);
    expect(b.transitions()).toEqual(['passive>acquiring:takeover', 'acquiring>active:acquired']);
    expect(b.of('preference')).toMatchObject([{ preference: 'active' }]);
    // Sticky: auto-failback does not undo an operator's takeover.
    await clock.advance(1000);
    expect(b.node.status().state).toBe('active');
    // Back to the rules: the master takes over again (auto-failback is on by default).
    b.node.auto();
    await clock.advance(keepaliveMs);
    expect(a.node.status().state).toBe('active');
    expect(b.node.status().state).toBe('passive');
  });

  it('standby on the master hands the resources to the slave', async () => {
    const { a, b, clock } = await runningPair();
    a.node.standby();
    await clock.advance(keepaliveMs);
    expect(a.transitions().slice(2)).toEqual(['active>releasing:standby', 'releasing>passive:released']);
    expect(b.transitions()).toEqual(['passive>acquiring:peer-standby', 'acquiring>active:acquired']);
  });

  it('standby keeps the resources when the peer is dead', async () => {
    const { a, clock, cutAll } = await runningPair();
    cutAll();
    await clock.advance(deadtimeMs * 2);
    a.node.standby();
    await clock.advance(1000);
    expect(a.node.status().state).toBe('active');
  });

  it('a graceful stop releases and lets the peer take over without waiting for the deadtime', async () => {
    const { a, b, clock } = await runningPair();
    await a.node.stop();
    expect(a.transitions().slice(2)).toEqual(['active>releasing:stopping', 'releasing>passive:released']);
    await clock.advance(5);
    expect(b.node.status().state).toBe('active');
    expect(b.of('peer-dead')).toEqual([]);
    expect(a.of('stopped')).toHaveLength(1);
    expect(() => a.node.takeover()).toThrow(expect.objectContaining({ code: 'HEARTBEAT_BAD_STATE' }));
  });
});

describe('ping nodes', () => {
  it('a node that cannot reach its ping nodes does not take over from a dead peer', async () => {
    const { a, b, clock, cutAll } = await runningPair({ pingA: true, pingB: false });
    cutAll();
    await clock.advance(deadtimeMs * 4);
    expect(b.node.status().state).toBe('passive');
    expect(b.of('takeover-blocked')).toMatchObject([{ reason: 'ping-unreachable' }]);
    b.ping?.set(true);
    await clock.advance(1);
    expect(b.transitions()).toEqual(['passive>acquiring:peer-dead', 'acquiring>active:acquired']);
    expect(a.node.status().state).toBe('active');
  });

  it('an active node cut off from its peer and its ping nodes lets go; it takes over again when they answer', async () => {
    const { a, b, clock, cutAll } = await runningPair({ pingA: true, pingB: true });
    cutAll();
    await clock.advance(deadtimeMs * 2);
    // The partition: both active (each sees its ping nodes) until one of them loses them.
    expect(b.node.status().state).toBe('active');
    expect(a.node.status().state).toBe('active');
    a.ping?.set(false);
    await clock.advance(1);
    expect(a.transitions().slice(2)).toEqual(['active>releasing:ping-lost', 'releasing>passive:released']);
    await clock.advance(deadtimeMs * 2);
    expect(a.node.status().state).toBe('passive');
    a.ping?.set(true);
    await clock.advance(1);
    expect(a.node.status().state).toBe('active');
  });

  it('a forced takeover keeps an active node alone without its ping nodes', async () => {
    const { a, clock, cutAll } = await runningPair({ pingA: true, pingB: true });
    a.node.takeover();
    cutAll();
    await clock.advance(deadtimeMs * 2);
    a.ping?.set(false);
    await clock.advance(deadtimeMs * 2);
    expect(a.node.status().state).toBe('active');
  });

  it('does not take over before the first ping result', async () => {
    const clock = new FakeClock();
    const [link] = wire('link0', clock);
    const b = makeNode(clock, [link], { nodeId: 'lb-b', peerId: 'lb-a', role: 'slave' }, { ping: 'silent' });
    b.node.start();
    await clock.advance(initdeadMs * 2);
    expect(b.node.status()).toMatchObject({ state: 'passive', pingOk: false });
    expect(b.of('takeover-blocked')).toHaveLength(1);
    b.ping?.set(true);
    await clock.advance(1);
    expect(b.transitions()).toEqual(['passive>acquiring:no-peer-at-start', 'acquiring>active:acquired']);
  });

  it('an active node that loses its ping nodes while the peer reaches them hands over', async () => {
    const { a, b, clock } = await runningPair({ pingA: true, pingB: true });
    a.ping?.set(false);
    await clock.advance(keepaliveMs);
    expect(a.transitions().slice(2)).toEqual(['active>releasing:ping-lost', 'releasing>passive:released']);
    expect(b.transitions()).toEqual(['passive>acquiring:peer-ping-lost', 'acquiring>active:acquired']);
  });

  it('when both lose their ping nodes nothing moves', async () => {
    const { a, b, clock } = await runningPair({ pingA: true, pingB: true });
    b.ping?.set(false);
    a.ping?.set(false);
    await clock.advance(1000);
    expect(a.node.status().state).toBe('active');
    expect(b.transitions()).toEqual([]);
  });
});

describe('health', () => {
  it('an unhealthy active node hands over to a healthy peer, and takes back when healthy again', async () => {
    const { a, b, clock } = await runningPair();
    a.node.setHealthy(false);
    await clock.advance(keepaliveMs);
    expect(a.transitions().slice(2)).toEqual(['active>releasing:unhealthy', 'releasing>passive:released']);
    expect(b.transitions()).toEqual(['passive>acquiring:peer-unhealthy', 'acquiring>active:acquired']);
    expect(b.node.status().peer.healthy).toBe(false);
    a.node.setHealthy(true);
    await clock.advance(keepaliveMs);
    expect(a.node.status().state).toBe('active');
    expect(b.transitions().slice(-1)).toEqual(['releasing>passive:released']);
  });

  it('a failed acquire rolls back in reverse order, reports unhealthy, and lets the peer take over', async () => {
    const pair = makePair();
    const { a, b, clock } = pair;
    const ipvs = a.resources[1];
    if (ipvs) ipvs.failAcquire = 1;
    a.node.start();
    b.node.start();
    await clock.advance(10);
    expect(a.journal.slice(0, 3)).toEqual(['vip:acquire', 'ipvs:acquire-failed', 'vip:release']);
    expect(a.of('resource-failed')).toMatchObject([{ operation: 'acquire', resource: 'ipvs' }]);
    expect(a.transitions()).toEqual(['passive>acquiring:elected', 'acquiring>passive:acquire-failed']);
    expect(b.transitions()).toEqual(['passive>acquiring:peer-unhealthy', 'acquiring>active:acquired']);
    // After the retry delay lb-a is healthy again and, as master, fails back.
    await clock.advance(DEFAULT_TIMING.acquireRetryMs + keepaliveMs);
    expect(a.node.status().state).toBe('active');
    expect(b.node.status().state).toBe('passive');
  });

  it('a failed release is reported and the node still goes passive', async () => {
    const { a, b, clock } = await runningPair();
    const vip = a.resources[0];
    if (vip) vip.failRelease = true;
    a.node.standby();
    await clock.advance(keepaliveMs);
    expect(a.of('resource-failed')).toMatchObject([{ operation: 'release', resource: 'vip' }]);
    expect(a.node.status().state).toBe('passive');
    expect(b.node.status().state).toBe('active');
  });
});

describe('partition and split brain', () => {
  it('all links cut: the slave takes over and shows the peer as unknown; on healing the master wins', async () => {
    const { a, b, clock, cutAll } = await runningPair();
    cutAll();
    await clock.advance(deadtimeMs + keepaliveMs);
    expect(a.node.status()).toMatchObject({ state: 'active', link: 'down', peer: { state: 'unknown' } });
    expect(b.node.status()).toMatchObject({ state: 'active', link: 'down', peer: { state: 'unknown' } });
    cutAll(false);
    await clock.advance(keepaliveMs * 2);
    expect(b.of('split-brain')).toMatchObject([{ winner: 'peer', rule: 'role' }]);
    expect(a.of('split-brain')).toMatchObject([{ winner: 'self', rule: 'role' }]);
    expect(b.transitions().slice(2)).toEqual(['active>releasing:split-brain', 'releasing>passive:released']);
    expect(a.node.status().state).toBe('active');
    // The re-announcement replaces the pending repeat of the first one, and is repeated itself.
    expect(a.of('announce').map((e) => e.reason)).toEqual(['acquired', 'split-brain-recovered']);
    await clock.advance(announceRepeatMs);
    expect(a.of('announce').map((e) => e.reason)).toEqual(['acquired', 'split-brain-recovered', 'repeat']);
  });

  it('the same rule holds without auto-failback', async () => {
    const { b, clock, cutAll } = await runningPair({ autoFailback: false });
    cutAll();
    await clock.advance(deadtimeMs + keepaliveMs);
    cutAll(false);
    await clock.advance(keepaliveMs * 2);
    expect(b.node.status().state).toBe('passive');
  });

  it('an unhealthy master loses the split-brain election', async () => {
    const { a, b, clock, cutAll } = await runningPair();
    cutAll();
    await clock.advance(deadtimeMs + keepaliveMs);
    a.node.setHealthy(false);
    cutAll(false);
    await clock.advance(keepaliveMs * 2);
    expect(a.of('split-brain')).toMatchObject([{ winner: 'peer', rule: 'health' }]);
    expect(a.node.status().state).toBe('passive');
    expect(b.node.status().state).toBe('active');
  });
});

describe('re-announcing after a partition', () => {
  it('the loser let go before the winner heard it active: the winner still re-announces', async () => {
    const { a, b, clock, wires } = await runningPair();
    for (const [x, y] of wires) {
      x.cut = true;
      y.cut = true;
    }
    await clock.advance(deadtimeMs + keepaliveMs);
    expect(b.node.status().state).toBe('active');
    // The partition heals one way first: lb-b hears lb-a and releases, unheard.
    for (const [x] of wires) x.cut = false;
    await clock.advance(keepaliveMs);
    expect(b.node.status().state).toBe('passive');
    for (const [, y] of wires) y.cut = false;
    await clock.advance(keepaliveMs);
    expect(a.of('split-brain')).toEqual([]);
    expect(a.of('announce').map((e) => e.reason)).toEqual(['acquired', 'peer-returned']);
  });
});

describe('ping results pending', () => {
  it('nobody takes over while the would-be winner has no ping result; then it does', async () => {
    const pair = makePair({ pingA: 'silent', pingB: true });
    const { a, b, clock } = pair;
    a.node.start();
    b.node.start();
    await clock.advance(initdeadMs * 2);
    expect(a.node.status()).toMatchObject({ state: 'passive', pingPending: true });
    expect(b.node.status()).toMatchObject({ state: 'passive', peer: { pingPending: true } });
    a.ping?.set(true);
    await clock.advance(keepaliveMs);
    expect(a.transitions()).toEqual(['passive>acquiring:elected', 'acquiring>active:acquired']);
    expect(b.transitions()).toEqual([]);
  });
});

describe('hostile and misconfigured packets', () => {
  it('forged, replayed and truncated packets are reported with their reason and never keep a dead peer alive', async () => {
    const { a, b, clock, cutAll } = await runningPair();
    const genuine = a.links[0]?.sent.at(-1);
    if (!genuine) throw new Error('no packet');
    cutAll();
    const inject = (d: Buffer) => b.links[0]?.deliver(d);
    const forged = Buffer.from(genuine);
    forged[7] = 1; // "passive", without re-signing
    const foreignKey = encodePacket(
      {
        keyId: 1,
        nodeId: 'lb-a',
        role: 'master',
        state: 'passive',
        priority: 100,
        configVersion: 0,
        healthy: true,
        pingOk: true,
        pingPending: false,
        preference: 'passive',
        hearsPeer: true,
        epoch: 9999,
        sequence: 1,
      },
      { id: 1, secret: Buffer.alloc(32, 1) },
    );
    for (let t = 0; t < deadtimeMs + keepaliveMs; t += 10) {
      inject(genuine);
      inject(forged);
      inject(foreignKey);
      inject(genuine.subarray(0, 40));
      await clock.advance(10);
    }
    expect(b.of('peer-dead')).toHaveLength(1);
    expect(b.node.status().state).toBe('active');
    const reasons = new Set(b.of('packet-rejected').map((e) => e.reason));
    expect(reasons).toEqual(new Set(['replay', 'bad-mac', 'truncated']));
    expect(b.node.status().rejected).toMatchObject({ replay: 20, 'bad-mac': 40, truncated: 20 });
  });

  it('rate-limits rejection events to one a second per link and reason, with a count', async () => {
    const { a, b, clock } = await runningPair();
    const genuine = a.links[0]?.sent[0];
    if (!genuine) throw new Error('no packet');
    for (let i = 0; i < 30; i++) {
      b.links[0]?.deliver(genuine);
      await clock.advance(100);
    }
    const replays = b.of('packet-rejected').filter((e) => e.reason === 'replay');
    expect(replays.map((e) => e.count)).toEqual([1, 10, 10]);
  });

  it('a peer configured with the same role is ignored as role-conflict', async () => {
    const clock = new FakeClock();
    const [x, y] = wire('link0', clock);
    const a = makeNode(clock, [x], { nodeId: 'lb-a', peerId: 'lb-b', role: 'master' });
    const b = makeNode(clock, [y], { nodeId: 'lb-b', peerId: 'lb-a', role: 'master' });
    a.node.start();
    b.node.start();
    await clock.advance(100);
    expect(a.of('packet-rejected')).toMatchObject([{ reason: 'role-conflict' }]);
    expect(a.of('peer-up')).toEqual([]);
  });

  it('a packet from an unknown node and a packet signed with an unknown key are rejected', async () => {
    const clock = new FakeClock();
    const [x, y] = wire('link0', clock);
    const a = makeNode(clock, [x], { nodeId: 'lb-a', peerId: 'lb-b', role: 'master' });
    const c = makeNode(clock, [y], { nodeId: 'lb-c', peerId: 'lb-a', role: 'slave' });
    a.node.start();
    c.node.start();
    await clock.advance(20);
    expect(a.of('packet-rejected').map((e) => e.reason)).toEqual(['unknown-node']);
    const other = makeNode(clock, [wire('l', clock)[0]], {
      nodeId: 'lb-b',
      peerId: 'lb-a',
      role: 'slave',
      keys: [{ id: 9, secret: SECRET }],
    });
    other.node.start();
    const datagram = other.links[0]?.sent[0];
    if (datagram) x.deliver(datagram);
    expect(a.of('packet-rejected').map((e) => e.reason)).toEqual(['unknown-node', 'unknown-key']);
  });

  it('key rotation: a node signing with the new key is accepted by a peer holding both', async () => {
    const clock = new FakeClock();
    const [x, y] = wire('link0', clock);
    const newKey = 'bb'.repeat(32);
    const a = makeNode(clock, [x], {
      nodeId: 'lb-a',
      peerId: 'lb-b',
      keys: [
        { id: 1, secret: SECRET },
        { id: 2, secret: newKey },
      ],
      sendKeyId: 2,
    });
    const b = makeNode(clock, [y], {
      nodeId: 'lb-b',
      peerId: 'lb-a',
      role: 'slave',
      keys: [
        { id: 1, secret: SECRET },
        { id: 2, secret: newKey },
      ],
    });
    a.node.start();
    b.node.start();
    await clock.advance(100);
    expect(a.of('packet-rejected')).toEqual([]);
    expect(b.of('packet-rejected')).toEqual([]);
    expect(a.node.status().state).toBe('active');
    expect(b.node.status().peer.state).toBe('active');
  });

  it('reports a configuration version mismatch in the status', async () => {
    const clock = new FakeClock();
    const [x, y] = wire('link0', clock);
    const a = makeNode(clock, [x], { nodeId: 'lb-a', peerId: 'lb-b', configVersion: 3 });
    const b = makeNode(clock, [y], { nodeId: 'lb-b', peerId: 'lb-a', role: 'slave', configVersion: 4 });
    a.node.start();
    b.node.start();
    await clock.advance(20);
    expect(a.node.status()).toMatchObject({ configVersionMatches: false, peer: { configVersion: 4 } });
  });
});

describe('announcement timing (keepalived garp_master_repeat, _delay, _refresh)', () => {
  /** lb-a takes over at 1 ms in these pairs (it hears lb-b's first heartbeat). */
  const announces = (node: { of: (type: 'announce') => { reason: string; at: number }[] }) =>
    node.of('announce').map((e) => `${e.reason}@${e.at}`);

  it('by default: 5 frames a second apart, the same again 5 s after the takeover, then silence', async () => {
    const { a, clock } = await runningPair();
    const t0 = a.of('announce')[0]?.at as number;
    await clock.advance(announceDelayMs * 4);
    const first = [0, 1, 2, 3, 4].map((i) => `${i === 0 ? 'acquired' : 'repeat'}@${t0 + i * announceRepeatMs}`);
    const second = [0, 1, 2, 3, 4].map((i) => `repeat@${t0 + announceDelayMs + i * announceRepeatMs}`);
    expect(announces(a)).toEqual([...first, ...second]);
    // Every resource is announced in each frame.
    expect(a.journal.filter((j) => j.startsWith('ipvs:announce'))).toHaveLength(10);
  });

  it('refresh: one frame every announceRefreshMs while active, none after the release', async () => {
    const { a, b, clock } = await runningPair({
      timing: { announceCount: 1, announceDelayMs: 0, announceRefreshMs: 30_000 },
    });
    const t0 = a.of('announce')[0]?.at as number;
    await clock.advance(95_000);
    expect(announces(a)).toEqual([
      `acquired@${t0}`,
      `refresh@${t0 + 30_000}`,
      `refresh@${t0 + 60_000}`,
      `refresh@${t0 + 90_000}`,
    ]);
    a.node.standby();
    await clock.advance(keepaliveMs * 2);
    expect(b.node.status().state).toBe('active');
    await clock.advance(60_000);
    expect(a.of('announce')).toHaveLength(4);
  });

  it('a re-announcement after a split brain replaces the pending burst but not the refresh', async () => {
    const { a, clock, cutAll } = await runningPair({
      timing: { announceCount: 3, announceDelayMs: 0, announceRefreshMs: 10_000 },
    });
    const t0 = a.of('announce')[0]?.at as number;
    cutAll();
    await clock.advance(deadtimeMs + keepaliveMs);
    cutAll(false);
    await clock.advance(keepaliveMs * 2);
    const healed = a.of('announce').find((e) => e.reason === 'split-brain-recovered')?.at as number;
    expect(healed).toBeLessThan(t0 + announceRepeatMs);
    await clock.advance(t0 + 10_000 - clock.now());
    // The takeover's burst gave way to the re-announcement's; the refresh keeps its rhythm.
    expect(announces(a)).toEqual([
      `acquired@${t0}`,
      `split-brain-recovered@${healed}`,
      `repeat@${healed + announceRepeatMs}`,
      `repeat@${healed + 2 * announceRepeatMs}`,
      `refresh@${t0 + 10_000}`,
    ]);
  });

  it('a frame a resource failed to send is sent again by that resource only, announceRepeatMs later', async () => {
    const pair = makePair({ timing: { announceCount: 1, announceDelayMs: 0 } });
    const vip = pair.a.resources[0];
    if (!vip) throw new Error('no vip resource');
    vip.failAnnounce = 2;
    pair.a.node.start();
    pair.b.node.start();
    await pair.clock.advance(10);
    expect(pair.a.of('announce')).toMatchObject([{ reason: 'acquired', failures: ['vip'] }]);
    await pair.clock.advance(announceRepeatMs);
    expect(pair.a.of('announce')).toMatchObject([
      { reason: 'acquired', failures: ['vip'] },
      { reason: 'acquired', failures: ['vip'] },
    ]);
    await pair.clock.advance(announceRepeatMs * 10);
    expect(pair.a.of('announce').map((e) => e.failures)).toEqual([['vip'], ['vip'], []]);
    expect(pair.a.journal.filter((j) => j.includes(':announce'))).toEqual([
      'vip:announce:acquired',
      'ipvs:announce:acquired',
      'vip:announce:acquired',
      'vip:announce:acquired',
    ]);
  });

  it('bounds: announceCount 1-100, delay 0-600,000 ms, refresh 0 or 1,000-86,400,000 ms', () => {
    const clock = new FakeClock();
    const [link] = wire('link0', clock);
    const make = (timing: Record<string, number>) => () =>
      makeNode(clock, [link], { nodeId: 'lb-a', peerId: 'lb-b', timing });
    expect(make({ announceCount: 0 })).toThrow(expect.objectContaining({ field: 'timing.announceCount' }));
    expect(make({ announceCount: 101 })).toThrow(expect.objectContaining({ field: 'timing.announceCount' }));
    expect(make({ announceDelayMs: -1 })).toThrow(expect.objectContaining({ field: 'timing.announceDelayMs' }));
    expect(make({ announceRefreshMs: 500 })).toThrow(expect.objectContaining({ field: 'timing.announceRefreshMs' }));
    expect(make({ announceCount: 1, announceDelayMs: 0, announceRefreshMs: 0 })).not.toThrow();
  });
});

describe('never announcing an address being given up', () => {
  /**
   * lb-b took over from a silent lb-a (so it owes a `peer-returned` re-announcement), and
   * lb-a comes back as a new run: its first heartbeat says passive, and with auto-failback
   * lb-b hands back at once.
   */
  async function failback(timing: Partial<typeof DEFAULT_TIMING> = {}) {
    const pair = await runningPair({ timing });
    pair.cutAll();
    await pair.clock.advance(deadtimeMs + keepaliveMs);
    expect(pair.b.node.status().state).toBe('active');
    await pair.a.node.stop();
    const a2 = makeNode(
      pair.clock,
      pair.wires.map((w) => w[0]),
      { nodeId: 'lb-a', peerId: 'lb-b', role: 'master', timing },
      { epoch: 2000 },
    );
    return { ...pair, a2 };
  }

  it('at failback the releasing node sends no re-announcement, before or after its release', async () => {
    const { b, a2, clock, cutAll } = await failback();
    b.journal.length = 0;
    a2.node.start();
    cutAll(false);
    await clock.advance(keepaliveMs * 2);
    expect(b.transitions().slice(-2)).toEqual(['active>releasing:failback', 'releasing>passive:released']);
    expect(a2.node.status().state).toBe('active');
    await clock.advance(announceDelayMs * 3);
    expect(b.journal).toEqual(['ipvs:release', 'vip:release']);
    expect(b.of('announce').map((e) => e.reason)).not.toContain('peer-returned');
  });

  it('a frame in flight when the release starts is sent before the address goes; nothing more is', async () => {
    const { b, a2, clock, cutAll } = await failback();
    const vip = b.resources[0];
    if (!vip) throw new Error('no vip resource');
    // lb-b's next frame (a repeat of its takeover burst) hangs in the frame sender.
    let open = () => {};
    vip.announceGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const firstAt = b.of('announce')[0]?.at as number;
    await clock.advance(firstAt + announceRepeatMs - clock.now());
    expect(b.journal.at(-1)).toBe('vip:announce:repeat');
    b.journal.length = 0;
    a2.node.start();
    cutAll(false);
    await clock.advance(keepaliveMs * 2);
    expect(b.node.status().state).toBe('releasing');
    expect(b.journal).toEqual([]);
    open();
    await settle();
    await b.node.settled();
    await clock.advance(announceDelayMs * 3);
    expect(b.journal).toEqual(['vip:announced', 'ipvs:release', 'vip:release']);
    expect(b.node.status().state).toBe('passive');
  });
});
