import { describe, expect, it } from 'vitest';
import { KernelError, NetlinkConnection } from '../src/netlink/connection.js';
import { DumpPool } from '../src/netlink/dump-pool.js';
import type { NlMessage } from '../src/netlink/message.js';
import {
  ack,
  DUMP_FAMILY,
  done,
  FakeTransport,
  genl,
  le32,
  messagesOf,
  NLM_F_MULTI,
  nla,
  numberedRequest,
} from './fixtures/kernel.js';

const FAMILY = DUMP_FAMILY;
const NLM_F_DUMP = 0x300;
const EBUSY = 16;
const ESRCH = 3;

const req = numberedRequest;
const numbersIn = (messages: NlMessage[]) => messages.map((m) => m.payload.readUInt32LE(8));

/**
 * The kernel's side of several sockets: a dump request on a socket whose previous dump has
 * not ended gets EBUSY, as in the kernel. Dumps end only when the test says so (`endOne`),
 * newest first by default, so they finish out of order.
 */
function kernel(options: { failOn?: number; errno?: number } = {}) {
  const sockets: FakeTransport[] = [];
  const running: { socket: FakeTransport; seq: number; n: number }[] = [];
  const busy = new Set<FakeTransport>();
  let mostAtOnce = 0;
  let busyAnswers = 0;
  const open = (): FakeTransport => {
    const socket = new FakeTransport(0x1000 + sockets.length);
    socket.openSibling = open;
    sockets.push(socket);
    socket.onSend = (datagram) => {
      for (const { header, bytes } of messagesOf(datagram)) {
        expect(header.flags & NLM_F_DUMP).toBe(NLM_F_DUMP);
        if (busy.has(socket)) {
          busyAnswers++;
          queueMicrotask(() => socket.deliver(ack(header.seq, socket.port, EBUSY)));
          continue;
        }
        busy.add(socket);
        running.push({ socket, seq: header.seq, n: bytes.readUInt32LE(24) });
        mostAtOnce = Math.max(mostAtOnce, running.length);
      }
    };
    return socket;
  };
  const endOne = (pick: 'newest' | 'oldest' = 'newest'): boolean => {
    const dump = pick === 'newest' ? running.pop() : running.shift();
    if (!dump) return false;
    const { socket, seq, n } = dump;
    busy.delete(socket);
    if (n === options.failOn) socket.deliver(ack(seq, socket.port, options.errno ?? ESRCH));
    else socket.deliver(genl(FAMILY, 8, NLM_F_MULTI, seq, socket.port, nla(1, le32(n))), done(seq, socket.port));
    return true;
  };
  /** Ends dumps until none is left, letting the pool start the next ones in between. */
  const drain = async (pick: 'newest' | 'oldest' = 'newest') => {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!endOne(pick) && running.length === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (running.length === 0) return;
      }
    }
    throw new Error('dumps never ended');
  };
  const main = open();
  return {
    sockets,
    main,
    drain,
    stats: () => ({ mostAtOnce, busyAnswers }),
    pool: (size: number, siblings = true) =>
      new DumpPool(new NetlinkConnection(main), siblings ? () => new NetlinkConnection(open()) : undefined, size),
  };
}

describe('DumpPool.dumpEach()', () => {
  it('keeps up to `size` dumps in flight on separate sockets, never two on one, results in request order', async () => {
    const k = kernel();
    const pool = k.pool(4);
    const requests = Array.from({ length: 20 }, (_, i) => req(i));
    const seen: number[] = [];
    const run = pool.dumpEach(requests, (messages, index) => {
      seen.push(index);
      return numbersIn(messages);
    });
    await k.drain('newest');
    expect(await run).toEqual(requests.map((_, i) => [i]));
    expect(k.stats()).toEqual({ mostAtOnce: 4, busyAnswers: 0 });
    expect(k.sockets).toHaveLength(4);
    expect(seen).not.toEqual([...seen].sort((a, b) => a - b)); // they did end out of order
  });

  it('visitEach() with a pause: slices of 32 dumps, the pause awaited between them, indexes kept', async () => {
    const k = kernel();
    const pool = k.pool(4);
    let pauses = 0;
    const seen: number[] = [];
    const run = pool.visitEach(
      Array.from({ length: 70 }, (_, i) => req(i)),
      (index) => seen.push(index),
      undefined,
      async () => {
        pauses++;
      },
    );
    await k.drain('oldest');
    await run;
    expect(pauses).toBe(2);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 70 }, (_, i) => i));
  });

  it('runs one dump at a time on the main socket when it cannot open others', async () => {
    const k = kernel();
    const pool = k.pool(4, false);
    const run = pool.dumpEach([req(1), req(2), req(3)], numbersIn);
    await k.drain();
    expect(await run).toEqual([[1], [2], [3]]);
    expect(k.stats()).toEqual({ mostAtOnce: 1, busyAnswers: 0 });
    expect(k.sockets).toEqual([k.main]);
  });

  it('opens no more sockets than there are dumps', async () => {
    const k = kernel();
    const run = k.pool(8).dumpEach([req(1), req(2)], numbersIn);
    await k.drain();
    expect(await run).toEqual([[1], [2]]);
    expect(k.sockets).toHaveLength(2);
  });

  it('stops at a kernel error: no dump starts after it, the error keeps its errno, the sockets stay', async () => {
    const k = kernel({ failOn: 0, errno: ESRCH });
    const pool = k.pool(2);
    const started: number[] = [];
    const run = pool
      .dumpEach(
        Array.from({ length: 10 }, (_, i) => req(i)),
        (messages) => started.push(...numbersIn(messages)),
      )
      .catch((error: unknown) => error);
    await k.drain('oldest');
    const error = await run;
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).errno).toBe(ESRCH);
    // Dump 0 failed first; only dump 1, already in flight, ended after it.
    expect(started).toEqual([1]);
    expect(k.sockets.every((s) => !s.closed)).toBe(true);
    expect(pool.sockets).toBe(2);
  });

  it('closes an extra socket that broke, and opens a fresh one on next need', async () => {
    const k = kernel();
    const pool = k.pool(2);
    const first = pool.dumpEach([req(1), req(2)], numbersIn).catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    const extra = k.sockets[1] as FakeTransport;
    extra.fail(new Error('socket gone'));
    await k.drain();
    expect(await first).toMatchObject({ code: 'IPVS_TRANSPORT' });
    expect(extra.closed).toBe(true);
    expect(pool.sockets).toBe(1);
    const second = pool.dumpEach([req(3), req(4)], numbersIn);
    await k.drain();
    expect(await second).toEqual([[3], [4]]);
    expect(k.sockets).toHaveLength(3);
    expect(k.main.closed).toBe(false);
  });
});

describe('DumpPool under concurrent callers', () => {
  it('shares its sockets between runs and single dumps without EBUSY', async () => {
    const k = kernel();
    const pool = k.pool(3);
    const a = pool.dumpEach(
      Array.from({ length: 12 }, (_, i) => req(i)),
      numbersIn,
    );
    const b = pool.dumpEach(
      Array.from({ length: 7 }, (_, i) => req(100 + i)),
      numbersIn,
    );
    const single = pool.dump(req(999));
    await k.drain();
    expect(await a).toEqual(Array.from({ length: 12 }, (_, i) => [i]));
    expect(await b).toEqual(Array.from({ length: 7 }, (_, i) => [100 + i]));
    expect(numbersIn(await single)).toEqual([999]);
    expect(k.stats()).toEqual({ mostAtOnce: 3, busyAnswers: 0 });
    expect(k.sockets).toHaveLength(3);
  });

  it('close() closes the sockets it opened, not the main one', async () => {
    const k = kernel();
    const pool = k.pool(3);
    const run = pool.dumpEach([req(1), req(2), req(3)], numbersIn);
    await k.drain();
    await run;
    pool.close();
    expect(k.sockets.map((s) => s.closed)).toEqual([false, true, true]);
  });
});
