import { afterEach, describe, expect, it, vi } from 'vitest';
import { IpvsError } from '../src/errors.js';
import { KernelError, NetlinkConnection } from '../src/netlink/connection.js';
import type { GenlRequest } from '../src/netlink/message.js';
import { ack, cstr, done, FakeTransport, genl, le16, le32, messagesOf, NLM_F_MULTI, nla } from './fixtures/kernel.js';

const FAMILY = 0x21;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;

const req = (cmd: number, attrs: GenlRequest['attrs'] = []): GenlRequest => ({
  family: FAMILY,
  cmd,
  version: 1,
  flags: 0,
  attrs,
});

/** A reply carrying one u32 attribute, so tests can tell replies apart. */
const reply = (seq: number, value: number, flags = 0) => genl(FAMILY, 1, flags, seq, 0x1234, nla(1, le32(value)));
const valueIn = (m: { payload: Buffer }) => m.payload.readUInt32LE(8);

function setup(options: { timeoutMs?: number } = {}) {
  const transport = new FakeTransport();
  const connection = new NetlinkConnection(transport, options);
  /** Headers of every message sent, in order. */
  const sentHeaders = () => transport.sent.flatMap((d) => messagesOf(d).map((m) => m.header));
  const lastSeq = () => sentHeaders().at(-1)?.seq as number;
  return { transport, connection, sentHeaders, lastSeq };
}

/** Settles a promise into a value the test can inspect without racing it. */
const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('request()', () => {
  it('sends one message asking for an ack, from the transport port, and resolves with the replies before it', async () => {
    const { transport, connection, sentHeaders, lastSeq } = setup();
    const pending = connection.request(req(15));
    expect(transport.sent).toHaveLength(1);
    const [h] = sentHeaders();
    expect(h).toMatchObject({ type: FAMILY, flags: NLM_F_REQUEST | NLM_F_ACK, pid: 0x1234, len: 20 });
    transport.deliver(reply(lastSeq(), 7), ack(lastSeq(), 0x1234));
    const replies = await pending;
    expect(replies.map(valueIn)).toEqual([7]);
    expect(replies[0]).toMatchObject({ type: FAMILY, seq: lastSeq() });
  });

  it('resolves an acknowledged request without replies with an empty list', async () => {
    const { transport, connection, lastSeq } = setup();
    const pending = connection.request(req(17));
    transport.deliver(ack(lastSeq(), 0x1234));
    await expect(pending).resolves.toEqual([]);
  });

  it('rejects with the kernel errno', async () => {
    const { transport, connection, lastSeq } = setup();
    const pending = settle(connection.request(req(1)));
    transport.deliver(ack(lastSeq(), 0x1234, 17));
    const result = await pending;
    expect(result.ok).toBe(false);
    expect((result as { error: unknown }).error).toBeInstanceOf(KernelError);
    expect((result as { error: KernelError }).error.errno).toBe(17);
  });

  it('matches replies by sequence number when several requests are in flight', async () => {
    const { transport, connection, sentHeaders } = setup();
    const a = connection.request(req(4));
    const b = connection.request(req(4));
    const [ha, hb] = sentHeaders();
    expect(hb?.seq).not.toBe(ha?.seq);
    // Answers arrive in the other order, with a stray message for nobody in between.
    transport.deliver(reply(hb?.seq as number, 2), reply(0x7fff0000, 99), ack(hb?.seq as number, 0x1234));
    transport.deliver(reply(ha?.seq as number, 1), ack(ha?.seq as number, 0x1234));
    expect((await a).map(valueIn)).toEqual([1]);
    expect((await b).map(valueIn)).toEqual([2]);
  });

  it('ignores an acknowledgement for a sequence number it did not send', async () => {
    const { transport, connection, lastSeq } = setup({ timeoutMs: 1000 });
    vi.useFakeTimers();
    const pending = settle(connection.request(req(17)));
    transport.deliver(ack(lastSeq() + 1000, 0x1234));
    await vi.advanceTimersByTimeAsync(1000);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'IPVS_TIMEOUT' } });
  });
});

describe('dump()', () => {
  it('asks for a dump without an ack and gathers every part until NLMSG_DONE', async () => {
    const { transport, connection, sentHeaders, lastSeq } = setup();
    const pending = connection.dump(req(4));
    expect(sentHeaders()[0]?.flags).toBe(NLM_F_REQUEST | NLM_F_DUMP);
    const seq = lastSeq();
    transport.deliver(reply(seq, 1, NLM_F_MULTI), reply(seq, 2, NLM_F_MULTI));
    transport.deliver(reply(seq, 3, NLM_F_MULTI));
    transport.deliver(reply(seq, 4, NLM_F_MULTI), done(seq, 0x1234));
    expect((await pending).map(valueIn)).toEqual([1, 2, 3, 4]);
  });

  it('resolves an empty dump', async () => {
    const { transport, connection, lastSeq } = setup();
    const pending = connection.dump(req(11));
    transport.deliver(done(lastSeq(), 0x1234));
    await expect(pending).resolves.toEqual([]);
  });

  it('rejects a dump refused at once (NLMSG_ERROR)', async () => {
    const { transport, connection, lastSeq } = setup();
    const pending = settle(connection.dump(req(8)));
    transport.deliver(ack(lastSeq(), 0x1234, 3));
    expect(await pending).toMatchObject({ ok: false, error: { errno: 3 } });
  });

  it('rejects a dump that failed midway (NLMSG_DONE carrying an error)', async () => {
    const { transport, connection, lastSeq } = setup();
    const pending = settle(connection.dump(req(4)));
    transport.deliver(reply(lastSeq(), 1, NLM_F_MULTI), done(lastSeq(), 0x1234, 12));
    const result = await pending;
    expect(result).toMatchObject({ ok: false, error: { errno: 12 } });
    expect((result as { error: unknown }).error).toBeInstanceOf(KernelError);
  });
});

describe('timeouts', () => {
  it('rejects with IPVS_TIMEOUT after the per-request timeout, not before', async () => {
    vi.useFakeTimers();
    const { connection } = setup({ timeoutMs: 5000 });
    let outcome: unknown;
    connection.request(req(15), 250).catch((e: unknown) => {
      outcome = e;
    });
    await vi.advanceTimersByTimeAsync(249);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBeInstanceOf(IpvsError);
    expect(outcome).toMatchObject({ code: 'IPVS_TIMEOUT' });
  });

  it('uses the connection timeout by default, for dumps too', async () => {
    vi.useFakeTimers();
    const { connection } = setup({ timeoutMs: 800 });
    let outcome: unknown;
    connection.dump(req(4)).catch((e: unknown) => {
      outcome = e;
    });
    await vi.advanceTimersByTimeAsync(799);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toMatchObject({ code: 'IPVS_TIMEOUT' });
  });

  it('defaults to 5 seconds', async () => {
    vi.useFakeTimers();
    const { connection } = setup();
    let outcome: unknown;
    connection.request(req(15)).catch((e: unknown) => {
      outcome = e;
    });
    await vi.advanceTimersByTimeAsync(4999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toMatchObject({ code: 'IPVS_TIMEOUT' });
  });

  it('drops a late answer to a request that timed out, and keeps working', async () => {
    vi.useFakeTimers();
    const { transport, connection, lastSeq } = setup({ timeoutMs: 100 });
    const first = settle(connection.request(req(15)));
    const firstSeq = lastSeq();
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toMatchObject({ ok: false, error: { code: 'IPVS_TIMEOUT' } });
    transport.deliver(reply(firstSeq, 1), ack(firstSeq, 0x1234));
    const second = connection.request(req(15));
    transport.deliver(reply(lastSeq(), 2), ack(lastSeq(), 0x1234));
    expect((await second).map(valueIn)).toEqual([2]);
  });

  it('a batch that gets no acknowledgement times out', async () => {
    vi.useFakeTimers();
    const { connection } = setup({ timeoutMs: 300 });
    const pending = settle(connection.batch([req(1), req(1)]));
    await vi.advanceTimersByTimeAsync(300);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'IPVS_TIMEOUT' } });
  });
});

describe('transport failures', () => {
  it('fails every pending request with IPVS_TRANSPORT, the socket error as cause', async () => {
    const { transport, connection } = setup();
    const a = settle(connection.request(req(15)));
    const b = settle(connection.dump(req(4)));
    const c = settle(connection.batch([req(1), req(1)]));
    const cause = new Error('ENOBUFS');
    transport.fail(cause);
    for (const result of [await a, await b, await c]) {
      expect(result.ok).toBe(false);
      const error = (result as { error: IpvsError }).error;
      expect(error).toBeInstanceOf(IpvsError);
      expect(error.code).toBe('IPVS_TRANSPORT');
      expect(error.message).toContain('ENOBUFS');
      expect(error.cause).toBe(cause);
    }
  });

  it('passes a coded transport error through unchanged', async () => {
    const { transport, connection } = setup();
    const pending = settle(connection.request(req(15)));
    const coded = new IpvsError('IPVS_TRANSPORT', 'netlink worker exited (1)');
    transport.fail(coded);
    expect(await pending).toEqual({ ok: false, error: coded });
  });

  it('fails pending requests with IPVS_PROTOCOL on an undecodable datagram', async () => {
    const { transport, connection, lastSeq } = setup();
    const pending = settle(connection.request(req(15)));
    const bad = ack(lastSeq(), 0x1234);
    bad.writeUInt32LE(4096, 0); // a length beyond the datagram
    transport.deliver(bad);
    const result = await pending;
    expect(result).toMatchObject({ ok: false, error: { code: 'IPVS_PROTOCOL' } });
    expect((result as { error: Error }).error.cause).toBeInstanceOf(RangeError);
  });

  it('close() fails pending requests, closes the transport and refuses new requests without sending', async () => {
    const { transport, connection } = setup();
    const pending = settle(connection.request(req(15)));
    connection.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'IPVS_TRANSPORT' } });
    expect(transport.closed).toBe(true);
    const sent = transport.sent.length;
    await expect(connection.request(req(15))).rejects.toMatchObject({ code: 'IPVS_TRANSPORT' });
    await expect(connection.dump(req(4))).rejects.toMatchObject({ code: 'IPVS_TRANSPORT' });
    expect(transport.sent).toHaveLength(sent);
  });
});

describe('resolveFamily()', () => {
  it('asks nlctrl for the family by name and returns its id', async () => {
    const { transport, connection, lastSeq } = setup();
    const pending = connection.resolveFamily('IPVS');
    const [m] = messagesOf(transport.sent[0] as Buffer);
    expect(m?.header).toMatchObject({ type: 0x10, flags: NLM_F_REQUEST | NLM_F_ACK });
    expect(m?.bytes.subarray(16).toString('hex')).toBe(`0301000009000200${cstr('IPVS').toString('hex')}000000`);
    transport.deliver(
      genl(0x10, 1, 0, lastSeq(), 0x1234, nla(2, cstr('IPVS')), nla(1, le16(0x2a)), nla(3, le32(1))),
      ack(lastSeq(), 0x1234),
    );
    await expect(pending).resolves.toBe(0x2a);
  });

  it('rejects a reply without a family id with IPVS_PROTOCOL', async () => {
    const { transport, connection, lastSeq } = setup();
    const pending = settle(connection.resolveFamily('IPVS'));
    transport.deliver(ack(lastSeq(), 0x1234));
    expect(await pending).toMatchObject({ ok: false, error: { code: 'IPVS_PROTOCOL' } });
  });
});

describe('batch()', () => {
  /** Plays the kernel: errors for the given sequence offsets, an ack where one was asked for. */
  function answerBatches(transport: FakeTransport, failAt: (index: number) => number | undefined) {
    let index = 0;
    transport.onSend = (datagram) => {
      const out: Buffer[] = [];
      for (const { header } of messagesOf(datagram)) {
        const errno = failAt(index++);
        if (errno) out.push(ack(header.seq, header.pid, errno));
        else if (header.flags & NLM_F_ACK) out.push(ack(header.seq, header.pid));
      }
      // Asynchronously, as a socket would.
      queueMicrotask(() => transport.deliver(...out));
    };
  }

  it('sends many requests in one datagram, consecutive seqs, an ack asked only of the last', async () => {
    const { transport, connection, sentHeaders } = setup();
    answerBatches(transport, () => undefined);
    const outcome = await connection.batch([req(1), req(5), req(5), req(6), req(7)]);
    expect(outcome.errors.size).toBe(0);
    expect(transport.sent).toHaveLength(1);
    const headers = sentHeaders();
    expect(headers.map((h) => h.flags)).toEqual([1, 1, 1, 1, NLM_F_REQUEST | NLM_F_ACK]);
    expect(headers.map((h) => h.seq - (headers[0]?.seq as number))).toEqual([0, 1, 2, 3, 4]);
    expect(headers.every((h) => h.pid === 0x1234 && h.type === FAMILY)).toBe(true);
    expect(messagesOf(transport.sent[0] as Buffer).map((m) => m.bytes[16])).toEqual([1, 5, 5, 6, 7]);
  });

  it('matches errors to the index of the request that caused them', async () => {
    const { transport, connection } = setup();
    answerBatches(transport, (i) => (i === 1 ? 17 : i === 3 ? 2 : undefined));
    const outcome = await connection.batch([req(1), req(5), req(5), req(7), req(6)]);
    expect([...outcome.errors.keys()].sort()).toEqual([1, 3]);
    expect(outcome.errors.get(1)?.errno).toBe(17);
    expect(outcome.errors.get(3)?.errno).toBe(2);
    expect(outcome.errors.get(1)).toBeInstanceOf(KernelError);
  });

  it('ends the datagram on an error of its last request (the kernel sends no ack then)', async () => {
    const { transport, connection } = setup();
    answerBatches(transport, (i) => (i === 2 ? 22 : undefined));
    const outcome = await connection.batch([req(1), req(1), req(1)]);
    expect([...outcome.errors.entries()].map(([i, e]) => [i, e.errno])).toEqual([[2, 22]]);
  });

  it('handles a batch of one like a request', async () => {
    const { transport, connection, sentHeaders } = setup();
    answerBatches(transport, () => undefined);
    expect((await connection.batch([req(17)])).errors.size).toBe(0);
    expect(sentHeaders().map((h) => h.flags)).toEqual([NLM_F_REQUEST | NLM_F_ACK]);
  });

  it('sends nothing for an empty batch', async () => {
    const { transport, connection } = setup();
    expect((await connection.batch([])).errors.size).toBe(0);
    expect(transport.sent).toHaveLength(0);
  });

  it('splits a large batch into datagrams of at most 64 KiB, each acked on its last message, indexes kept', async () => {
    const { transport, connection, sentHeaders } = setup();
    // 100 requests of 1,024 bytes each (16 + 4 + 4 + 1,000): more than one datagram.
    const big = Array.from({ length: 100 }, (_, i) => req(5, [{ type: 2, value: new Uint8Array(1000).fill(i) }]));
    answerBatches(transport, (i) => (i === 3 || i === 70 || i === 99 ? 17 : undefined));
    const outcome = await connection.batch(big);
    expect(transport.sent.length).toBeGreaterThan(1);
    for (const datagram of transport.sent) {
      expect(datagram.length).toBeLessThanOrEqual(64 * 1024);
      const flags = messagesOf(datagram).map((m) => m.header.flags & NLM_F_ACK);
      expect(flags.at(-1)).toBe(NLM_F_ACK);
      expect(flags.slice(0, -1).every((f) => f === 0)).toBe(true);
    }
    const all = messagesOf(Buffer.concat(transport.sent));
    expect(all).toHaveLength(100);
    // Each request is sent once, in order.
    expect(all.map((m) => m.bytes[24])).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(sentHeaders()).toHaveLength(100);
    expect([...outcome.errors.keys()].sort((a, b) => a - b)).toEqual([3, 70, 99]);
  });

  it('sends the next datagram only after the previous one is acknowledged', async () => {
    const { transport, connection } = setup();
    const big = Array.from({ length: 100 }, () => req(5, [{ type: 2, value: new Uint8Array(1000) }]));
    const pending = connection.batch(big);
    await Promise.resolve();
    expect(transport.sent).toHaveLength(1);
    const last = messagesOf(transport.sent[0] as Buffer).at(-1)?.header;
    answerBatches(transport, () => undefined);
    transport.deliver(ack(last?.seq as number, 0x1234));
    await pending;
    expect(transport.sent.length).toBeGreaterThan(1);
  });

  it('never wraps sequence numbers inside a batch', async () => {
    // Start the counter 3 below its limit, so the batch of 4 would cross it.
    vi.spyOn(Math, 'random').mockReturnValue((0x7fffffff - 2.5) / 0x7fffffff);
    const { transport, connection, sentHeaders } = setup();
    answerBatches(transport, () => undefined);
    await connection.batch([req(1)]);
    await connection.batch([req(1), req(1), req(1), req(1)]);
    await connection.batch([req(1), req(1), req(1)]);
    const seqs = sentHeaders().map((h) => h.seq);
    expect(seqs).toHaveLength(8);
    expect(new Set(seqs).size).toBe(8);
    for (const [from, to] of [
      [1, 5],
      [5, 8],
    ] as const) {
      const chunk = seqs.slice(from, to);
      expect(chunk).toEqual(chunk.map((_, i) => (chunk[0] as number) + i));
    }
    expect(seqs.every((s) => s > 0 && s <= 0x7fffffff)).toBe(true);
  });
});

describe('after close', () => {
  it('refuses a batch at once, without sending', async () => {
    const { transport, connection } = setup();
    connection.close();
    const sent = transport.sent.length;
    await expect(connection.batch([req(5)])).rejects.toMatchObject({ code: 'IPVS_TRANSPORT' });
    expect(transport.sent.length).toBe(sent);
  });
});
