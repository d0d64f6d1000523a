import { describe, expect, it } from 'vitest';
import { IpvsClient } from '../src/client.js';
import type { FakeTransport } from './fixtures/kernel.js';
import { be16, fakeKernel, genl, inetAddr, le16, le32, NLM_F_MULTI, nest, nla } from './fixtures/kernel.js';

const FAMILY = 0x1c;
const GET_SERVICE = 4;
const NEW_SERVICE = 1;
const NEW_DEST = 5;
const SERVICES = 7;

/**
 * A kernel holding SERVICES TCP services on 192.0.2.1, ports 1000 + i, service i with i
 * destinations 198.51.100.1..i, served on as many sockets as the client opens.
 */
function table() {
  const sockets: FakeTransport[] = [];
  const destsAsked: number[] = [];
  const open = (): FakeTransport => {
    const t = fakeKernel(FAMILY, ({ header: h, bytes, cmd }) => {
      if (cmd === GET_SERVICE) {
        return Array.from({ length: SERVICES }, (_, i) =>
          genl(
            FAMILY,
            NEW_SERVICE,
            NLM_F_MULTI,
            h.seq,
            h.pid,
            nest(
              1,
              nla(1, le16(2)),
              nla(2, le16(6)),
              nla(3, inetAddr([192, 0, 2, 1])),
              nla(4, be16(1000 + i)),
              nla(6, Buffer.from('wlc\0')),
            ),
          ),
        );
      }
      // GET_DEST: the service's port is the last attribute of its key.
      const port = bytes.readUInt16BE(bytes.length - 4);
      const i = port - 1000;
      destsAsked.push(i);
      return Array.from({ length: i }, (_, j) =>
        genl(
          FAMILY,
          NEW_DEST,
          NLM_F_MULTI,
          h.seq,
          h.pid,
          nest(2, nla(1, inetAddr([198, 51, 100, j + 1])), nla(2, be16(port)), nla(3, le32(2)), nla(4, le32(j))),
        ),
      );
    });
    Object.defineProperty(t, 'port', { value: 0x2000 + sockets.length });
    t.openSibling = open;
    sockets.push(t);
    return t;
  };
  return { transport: open(), sockets, destsAsked };
}

describe('IpvsClient.list() over several sockets', () => {
  it('dumps every service once, on up to dumpSockets sockets, and returns the table in order', async () => {
    const k = table();
    const client = await IpvsClient.open({ transport: k.transport, dumpSockets: 3 });
    const listed = await client.list();
    expect(
      listed.map((s) => [s.port, s.scheduler, s.destinations.map((d) => `${d.address}:${d.port} w${d.weight}`)]),
    ).toEqual(
      Array.from({ length: SERVICES }, (_, i) => [
        1000 + i,
        'wlc',
        Array.from({ length: i }, (_, j) => `198.51.100.${j + 1}:${1000 + i} w${j}`),
      ]),
    );
    expect([...k.destsAsked].sort((a, b) => a - b)).toEqual(Array.from({ length: SERVICES }, (_, i) => i));
    expect(k.sockets.length).toBeGreaterThan(1);
    expect(k.sockets.length).toBeLessThanOrEqual(3);
    // Concurrent callers get the same answer.
    const [a, b] = await Promise.all([client.list(), client.list()]);
    expect(a).toEqual(listed);
    expect(b).toEqual(listed);
    client.close();
    expect(k.sockets.every((s) => s.closed)).toBe(true);
  });

  it('stays on its own socket with dumpSockets: 1', async () => {
    const k = table();
    const client = await IpvsClient.open({ transport: k.transport, dumpSockets: 1 });
    expect((await client.list()).map((s) => s.destinations.length)).toEqual(
      Array.from({ length: SERVICES }, (_, i) => i),
    );
    expect(k.sockets).toHaveLength(1);
    client.close();
  });

  it.each([0, -1, 1.5, Number.NaN, 65])('refuses dumpSockets %s before opening anything', async (dumpSockets) => {
    const k = table();
    await expect(IpvsClient.open({ transport: k.transport, dumpSockets })).rejects.toMatchObject({
      code: 'IPVS_INVALID_FIELD',
      field: 'dumpSockets',
    });
    expect(k.transport.sent).toHaveLength(0);
  });
});
