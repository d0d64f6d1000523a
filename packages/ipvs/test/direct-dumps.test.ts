import { describe, expect, it } from 'vitest';
import { KernelError } from '../src/netlink/connection.js';
import { DirectDumps, type DumpSocket } from '../src/netlink/direct-dumps.js';
import { DUMP_FAMILY, done, genl, header, le32, messagesOf, nla, numberedRequest } from './fixtures/kernel.js';

const FAMILY = DUMP_FAMILY;
const NLM_F_DUMP = 0x300;
const NLM_F_MULTI = 0x2;

const req = numberedRequest;
/** The number a reply carries (its first attribute, after the 4-byte generic header). */
const numberAt = (buf: Buffer, start: number) => buf.readUInt32LE(start + 8);
const reply = (seq: number, n: number) => genl(FAMILY, 8, NLM_F_MULTI, seq, 0, nla(1, le32(n)));

/**
 * A socket whose kernel the test plays: each request is answered by `answer`, which
 * returns the datagrams queued at once and those queued only after N more reads.
 */
class FakeSocket implements DumpSocket {
  readonly sent: Buffer[] = [];
  readonly queue: Buffer[] = [];
  closed = false;
  later: { reads: number; datagram: Buffer }[] = [];
  constructor(private readonly answer: (seq: number, n: number, socket: FakeSocket) => void) {}
  send(datagram: Buffer): void {
    this.sent.push(Buffer.from(datagram));
    for (const { header: h, bytes } of messagesOf(datagram)) {
      expect(h.flags & NLM_F_DUMP).toBe(NLM_F_DUMP);
      this.answer(h.seq, bytes.readUInt32LE(24), this);
    }
  }
  read(receive: (datagram: Buffer) => void): number {
    for (const l of this.later) l.reads--;
    this.queue.push(...this.later.filter((l) => l.reads < 0).map((l) => l.datagram));
    this.later = this.later.filter((l) => l.reads >= 0);
    const batch = this.queue.splice(0, 8);
    // One reused buffer, as the real socket's: a view must not outlive the call.
    const scratch = Buffer.alloc(4096);
    for (const d of batch) {
      d.copy(scratch);
      receive(scratch.subarray(0, d.length));
      scratch.fill(0xee);
    }
    return batch.length;
  }
  close(): void {
    this.closed = true;
  }
}

describe('DirectDumps', () => {
  it('ends a dump inside the call, visiting each reply with its request index', async () => {
    const socket = new FakeSocket((seq, n, s) =>
      s.queue.push(Buffer.concat([reply(seq, n), reply(seq, n + 100)]), done(seq, 0)),
    );
    const dumps = new DirectDumps(() => socket, 1000);
    const seen: [number, number][] = [];
    await dumps.visitEach([req(1), req(2), req(3)], (index, buf, start) => seen.push([index, numberAt(buf, start)]));
    expect(seen).toEqual([
      [0, 1],
      [0, 101],
      [1, 2],
      [1, 102],
      [2, 3],
      [2, 103],
    ]);
    expect(socket.sent).toHaveLength(3);
  });

  it('a long run awaits the pause it was given every 32 dumps: no dump is sent while it holds', async () => {
    const socket = new FakeSocket((seq, n, s) => s.queue.push(reply(seq, n), done(seq, 0)));
    const dumps = new DirectDumps(() => socket, 1000);
    const held: number[] = [];
    let release: () => void = () => undefined;
    const pause = () => {
      held.push(socket.sent.length);
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    };
    const seen: number[] = [];
    const run = dumps.visitEach(
      Array.from({ length: 70 }, (_, i) => req(i)),
      (_, buf, start) => seen.push(numberAt(buf, start)),
      undefined,
      pause,
    );
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // Held at the first pause: 32 dumps sent, none after.
    expect(held).toEqual([32]);
    expect(socket.sent).toHaveLength(32);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(held).toEqual([32, 64]);
    release();
    await run;
    expect(seen).toEqual(Array.from({ length: 70 }, (_, i) => i));
  });

  it('waits turn by turn for a dump whose end is queued later, and skips replies of other dumps', async () => {
    const socket = new FakeSocket((seq, n, s) => {
      s.queue.push(reply(seq - 1, 999), reply(seq, n));
      s.later.push({ reads: 2, datagram: done(seq, 0) });
    });
    const dumps = new DirectDumps(() => socket, 1000);
    const seen: number[] = [];
    await dumps.visitEach([req(7), req(8)], (_, buf, start) => seen.push(numberAt(buf, start)));
    expect(seen).toEqual([7, 8]);
  });

  it('dump() returns copies that outlive the receive buffer', async () => {
    const socket = new FakeSocket((seq, n, s) => s.queue.push(reply(seq, n), reply(seq, n + 1), done(seq, 0)));
    const dumps = new DirectDumps(() => socket, 1000);
    const messages = await dumps.dump(req(40));
    expect(messages.map((m) => m.payload.readUInt32LE(8))).toEqual([40, 41]);
    expect(messages.map((m) => m.type)).toEqual([FAMILY, FAMILY]);
    expect(header(socket.sent[0] as Buffer).flags & NLM_F_DUMP).toBe(NLM_F_DUMP);
  });

  it("turns the kernel's error into a KernelError with its errno and stops the run", async () => {
    const socket = new FakeSocket((seq, n, s) => s.queue.push(done(seq, 0, n === 2 ? 3 : 0)));
    const dumps = new DirectDumps(() => socket, 1000);
    const run = dumps.visitEach([req(1), req(2), req(3)], () => undefined);
    await expect(run).rejects.toBeInstanceOf(KernelError);
    await expect(run).rejects.toMatchObject({ errno: 3 });
    expect(socket.sent).toHaveLength(2);
  });

  it('times out a dump that never ends, replaces its socket and serves the next call on the new one', async () => {
    const sockets: FakeSocket[] = [];
    const dumps = new DirectDumps(() => {
      const first = sockets.length === 0;
      const socket = new FakeSocket((seq, n, s) => {
        if (!first) s.queue.push(reply(seq, n), done(seq, 0));
      });
      sockets.push(socket);
      return socket;
    }, 30);
    await expect(dumps.dump(req(1))).rejects.toMatchObject({ code: 'IPVS_TIMEOUT' });
    expect(sockets[0]?.closed).toBe(true);
    const messages = await dumps.dump(req(2));
    expect(messages.map((m) => m.payload.readUInt32LE(8))).toEqual([2]);
    expect(sockets).toHaveLength(2);
  });

  it('runs concurrent calls one after another on its one socket', async () => {
    let running = 0;
    let mostAtOnce = 0;
    const socket = new FakeSocket((seq, n, s) => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      s.queue.push(reply(seq, n));
      s.later.push({ reads: 1, datagram: done(seq, 0) });
      const end = s.later[s.later.length - 1] as { datagram: Buffer };
      const original = end.datagram;
      Object.defineProperty(end, 'datagram', {
        get: () => {
          running--;
          return original;
        },
      });
    });
    const dumps = new DirectDumps(() => socket, 1000);
    const [a, b] = await Promise.all([dumps.dump(req(1)), dumps.dump(req(2))]);
    expect(a.map((m) => m.payload.readUInt32LE(8))).toEqual([1]);
    expect(b.map((m) => m.payload.readUInt32LE(8))).toEqual([2]);
    expect(mostAtOnce).toBe(1);
  });

  it('refuses calls after close()', async () => {
    const socket = new FakeSocket(() => undefined);
    const dumps = new DirectDumps(() => socket, 1000);
    dumps.close();
    expect(socket.closed).toBe(true);
    await expect(dumps.dump(req(1))).rejects.toMatchObject({ code: 'IPVS_TRANSPORT' });
  });
});
