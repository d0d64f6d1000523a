import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createReplicaEndpoint, type ReplicaEndpoint } from '../../src/ha/replica-endpoint.js';
import type { ReplicaMessage } from '../../src/ha/replica-message.js';
import {
  REPLICA_MAX_BODY,
  REPLICA_MAX_IN_FLIGHT,
  REPLICA_PATH,
  replicaKey,
  sealBody,
  signRequest,
} from '../../src/ha/replica-protocol.js';
import { replicaReceiver } from '../../src/ha/replica-receiver.js';
import { type Harness, startHarness } from '../api/harness.js';
import { FakeAdminStates, FakeStore, version } from './fakes.js';

/**
 * The replica endpoint as the daemon mounts it (the API router, `PUT /api/v1/ha/replica`,
 * public), attacked over real sockets. What the server read is counted on its own socket
 * (`bytesRead`, headers included), never timed: a refused body stays unread.
 */
const key = replicaKey('the pair key, shared by both nodes');
const MiB = 1024 * 1024;
/** Headers and what node:http reads ahead before it stops reading a paused request. */
const UNREAD = 1 * MiB;
/** The review's bodies: 60 MB each. */
const BIG = 60_000_000;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: { error?: { code?: string; field?: string; message?: string }; accepted?: number[] };
}

/**
 * An HTTP PUT written by hand on a raw socket, so that the test decides how much of the
 * body goes out and sees the answer arrive while it is still sending.
 */
class RawPut {
  readonly socket: Socket;
  /** Body bytes handed to the socket. */
  sent = 0;
  readonly answer: Promise<Answer>;
  readonly closed: Promise<void>;
  private settled = false;
  private wake: (() => void)[] = [];
  private readonly chunked: boolean;

  constructor(port: number, headers: Record<string, string>, length: number | 'chunked') {
    this.chunked = length === 'chunked';
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('error', () => undefined);
    const framing = this.chunked ? 'transfer-encoding: chunked' : `content-length: ${length}`;
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
    this.socket.write(
      [`PUT ${REPLICA_PATH} HTTP/1.1`, 'host: 127.0.0.1', 'content-type: application/octet-stream', framing, ...lines]
        .concat('', '')
        .join('\r\n'),
    );
    const rouse = () => {
      for (const resolve of this.wake.splice(0)) resolve();
    };
    this.socket.on('drain', rouse);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    void this.closed.then(() => {
      this.settled = true;
      rouse();
    });
    this.answer = new Promise((resolve, reject) => {
      let data = Buffer.alloc(0);
      const parse = () => {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine = '', ...headerLines] = data.subarray(0, end).toString('latin1').split('\r\n');
        const headerMap: Record<string, string> = {};
        for (const line of headerLines) {
          const colon = line.indexOf(':');
          headerMap[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const bodyLength = Number(headerMap['content-length'] ?? 0);
        if (data.length < end + 4 + bodyLength) return;
        this.settled = true;
        rouse();
        resolve({
          status: Number(statusLine.split(' ')[1]),
          headers: headerMap,
          body: JSON.parse(data.subarray(end + 4, end + 4 + bodyLength).toString('utf8')),
        });
      };
      this.socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        parse();
      });
      this.socket.once('close', () => reject(new Error(`closed without an answer after ${this.sent} body bytes`)));
    });
    this.answer.catch(() => undefined);
  }

  /** Sends `bytes` (or that many zero bytes), as fast as the server reads, until it answers or closes. */
  async send(bytes: Buffer | number): Promise<void> {
    const zeros = Buffer.alloc(64 * 1024);
    let rest = typeof bytes === 'number' ? bytes : bytes.length;
    let offset = 0;
    while (rest > 0 && !this.settled) {
      const size = Math.min(rest, zeros.length);
      const piece = typeof bytes === 'number' ? zeros.subarray(0, size) : bytes.subarray(offset, offset + size);
      const framed = this.chunked
        ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
        : piece;
      const more = this.socket.write(framed);
      this.sent += size;
      offset += size;
      rest -= size;
      if (!more) await new Promise<void>((resolve) => this.wake.push(resolve));
    }
  }

  /** The chunked body's last chunk. */
  finish(): void {
    if (this.chunked && !this.settled) this.socket.write('0\r\n\r\n');
  }
}

function message(): ReplicaMessage {
  return { format: 1, head: { version: 1, time: version(1).time }, versions: [], active: true };
}

/** A hello, sealed and signed as the Replicator sends it. */
function signed(options: { key?: Buffer; body?: Buffer } = {}) {
  const raw = options.body ?? sealBody(key, Buffer.from(JSON.stringify(message())));
  const headers = signRequest({
    key: options.key ?? key,
    method: 'PUT',
    path: REPLICA_PATH,
    node: 'lb1',
    body: raw,
    now: Date.now(),
  });
  return { raw, headers };
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The API router with a real replica endpoint behind it, wired as the daemon wires it. */
async function serve(options: { haOff?: boolean } = {}) {
  const store = new FakeStore(1);
  const endpoint: ReplicaEndpoint = createReplicaEndpoint({
    store,
    adminStates: new FakeAdminStates(),
    key: () => (options.haOff ? undefined : key),
    nodeName: () => 'lb2',
    peerName: () => 'lb1',
    isActive: () => false,
  });
  const receive = replicaReceiver((req) => endpoint.handleRequest(req));
  let entered = 0;
  let onEnter: (() => void) | undefined;
  harness = await startHarness({
    replicaReceiver: (req) => {
      const answer = receive(req);
      // The endpoint decides synchronously whether it takes the request (and its place).
      entered++;
      onEnter?.();
      return answer;
    },
  });
  /** The server's side of each connection, in order, to count what it read. */
  const sockets: Socket[] = [];
  harness.server.on('connection', (socket: Socket) => sockets.push(socket));
  const port = Number(new URL(harness.base).port);
  return {
    port,
    store,
    sockets,
    /** Resolves once `count` requests reached the endpoint. */
    entered: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (entered >= count) resolve();
        };
        onEnter = check;
        check();
      }),
  };
}

/** Sends a whole body (or as much as the server reads) and waits for the answer and the end of the connection. */
async function attempt(port: number, headers: Record<string, string>, length: number | 'chunked', total: number) {
  const put = new RawPut(port, headers, length);
  await put.send(total);
  put.finish();
  const answer = await put.answer;
  put.socket.destroy();
  await put.closed;
  return { answer, put };
}

describe('replica endpoint: refused before the body is read', () => {
  it('refuses a body announced above the limit, unread (413 on Content-Length)', async () => {
    const { port, sockets } = await serve();
    const { answer } = await attempt(port, signed().headers, REPLICA_MAX_BODY + 1, REPLICA_MAX_BODY + 1);
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatchObject({ code: 'API_BODY_TOO_LARGE' });
    expect(sockets[0]?.bytesRead).toBeLessThan(UNREAD);
  });

  it('refuses a chunked body (no length announced) without buffering it', async () => {
    const { port, sockets, store } = await serve();
    // 80 MiB: above any limit; the old router read 64 MiB of it into memory first.
    const { answer } = await attempt(port, signed().headers, 'chunked', 80 * MiB);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'content-length' });
    // The router drops (unbuffered) up to 4 MiB of a refused body of unknown length, so
    // that the client reads the answer; nothing more is read.
    expect(sockets[0]?.bytesRead).toBeLessThan(4 * MiB + UNREAD);
    expect(store.accepted).toEqual([]);
  });

  it('refuses with HA off without reading the body (409 HA_DISABLED)', async () => {
    const { port, sockets } = await serve({ haOff: true });
    const { answer, put } = await attempt(port, signed().headers, BIG, BIG);
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: 'HA_DISABLED' });
    expect(sockets[0]?.bytesRead).toBeLessThan(UNREAD);
    expect(put.sent).toBeLessThan(BIG);
  });

  it('refuses a missing or a wrong signature without reading the body (401 AUTH_FAILED)', async () => {
    const { port, sockets, store } = await serve();
    const unsigned = await attempt(port, {}, BIG, BIG);
    expect(unsigned.answer.status).toBe(401);
    expect(unsigned.answer.body.error?.message).toMatch(/required/);
    const forged = await attempt(port, signed({ key: replicaKey('not the pair key') }).headers, BIG, BIG);
    expect(forged.answer.status).toBe(401);
    expect(forged.answer.body.error?.message).toMatch(/bad signature/);
    expect(sockets).toHaveLength(2);
    for (const socket of sockets) expect(socket.bytesRead).toBeLessThan(UNREAD);
    expect(store.accepted).toEqual([]);
  });

  it('reads an authenticated body through its signed digest: another body of the same length is refused', async () => {
    const { port, store } = await serve();
    const genuine = signed();
    const swapped = Buffer.from(genuine.raw);
    swapped[swapped.length - 1] = (swapped[swapped.length - 1] ?? 0) ^ 1;
    const put = new RawPut(port, genuine.headers, swapped.length);
    await put.send(swapped);
    const answer = await put.answer;
    put.socket.destroy();
    expect(answer.status).toBe(401);
    expect(answer.body.error?.message).toMatch(/signed digest/);
    const again = signed();
    const fine = new RawPut(port, again.headers, again.raw.length);
    await fine.send(again.raw);
    expect((await fine.answer).status).toBe(200);
    fine.socket.destroy();
    expect(store.accepted).toEqual([]);
  });

  it(`takes ${REPLICA_MAX_IN_FLIGHT} requests at once; one more is refused at once, unread (503 HA_BUSY)`, async () => {
    const { port, sockets, entered } = await serve();
    // Two genuine requests that have sent half their body: both hold a place.
    const held = [signed(), signed()].map((request) => ({
      request,
      put: new RawPut(port, request.headers, request.raw.length),
    }));
    for (const { request, put } of held) await put.send(request.raw.subarray(0, request.raw.length >> 1));
    await entered(REPLICA_MAX_IN_FLIGHT);
    // A third one (genuine headers, a 60 MB body behind them) is refused at once, unread.
    const third = signed();
    const busy = new RawPut(port, third.headers, BIG);
    await busy.send(BIG);
    const refused = await busy.answer;
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'HA_BUSY' });
    expect(refused.headers['retry-after']).toBe('1');
    expect(sockets[2]?.bytesRead).toBeLessThan(UNREAD);
    expect(busy.sent).toBeLessThan(BIG);
    busy.socket.destroy();
    // The held ones finish and are taken; then there is room again (the refusal burnt no nonce).
    for (const { request, put } of held) await put.send(request.raw.subarray(request.raw.length >> 1));
    for (const { put } of held) expect((await put.answer).status).toBe(200);
    const retry = new RawPut(port, third.headers, third.raw.length);
    await retry.send(third.raw);
    expect((await retry.answer).status).toBe(200);
    for (const put of [...held.map((h) => h.put), retry]) put.socket.destroy();
    expect(sockets).toHaveLength(4);
  });

  it('24 concurrent 60 MB bodies without a valid signature leave memory bounded', async () => {
    const { port, sockets } = await serve();
    const before = process.memoryUsage().rss;
    let peak = before;
    const attacks = Array.from({ length: 24 }, async () => {
      const put = new RawPut(port, {}, BIG);
      await put.send(BIG);
      const answer = await put.answer;
      peak = Math.max(peak, process.memoryUsage().rss);
      put.socket.destroy();
      await put.closed;
      return answer.status;
    });
    expect(await Promise.all(attacks)).toEqual(Array(24).fill(401));
    expect(sockets).toHaveLength(24);
    const read = sockets.reduce((sum, socket) => sum + socket.bytesRead, 0);
    // The old endpoint read all 1.44 GB (and held it: the daemon grew to 1.4 GB).
    expect(read).toBeLessThan(24 * UNREAD);
    expect(peak - before).toBeLessThan(256 * MiB);
  });
});
