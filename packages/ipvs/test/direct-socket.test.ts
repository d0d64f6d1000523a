import { describe, expect, it } from 'vitest';
import { AttrView } from '../src/netlink/attributes.js';
import { NetlinkConnection } from '../src/netlink/connection.js';
import { DirectDumps } from '../src/netlink/direct-dumps.js';
import { DirectSocket, directSocketUnavailable } from '../src/netlink/direct-socket.js';
import { CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY, GENL_HDRLEN, GENL_ID_CTRL } from '../src/netlink/message.js';
import { LocalTransport } from '../src/netlink/transport.js';

// The direct socket against this machine's own kernel: its generic netlink controller
// (present in every Linux kernel, IPVS or not, and readable without privileges) lists
// the families, through the direct socket and through the `netlink` package's.
const allFamilies = { family: GENL_ID_CTRL, cmd: CTRL_CMD_GETFAMILY, version: 1, flags: 0, attrs: [] };
const nameOf = (buf: Buffer, start: number, end: number) =>
  new AttrView(buf, start + GENL_HDRLEN, end).cstring(CTRL_ATTR_FAMILY_NAME);

describe('DirectSocket in this kernel', () => {
  it('is available on this machine (64-bit Linux, koffi)', () => {
    expect(directSocketUnavailable()).toBeUndefined();
  });

  it('dumps what the netlink package dumps, each dump ended within the call', async () => {
    let sockets = 0;
    const dumps = new DirectDumps(() => {
      sockets++;
      return DirectSocket.open(1 << 20);
    }, 2000);
    const connection = new NetlinkConnection(new LocalTransport());
    try {
      const viaPackage = (await connection.dump(allFamilies)).map((m) => nameOf(m.payload, 0, m.payload.length));
      const direct: (string | undefined)[] = [];
      // Several dumps back to back: each must end before the next starts (no EBUSY).
      for (let round = 0; round < 3; round++) {
        direct.length = 0;
        await dumps.visitEach([allFamilies], (_, buf, start, end) => direct.push(nameOf(buf, start, end)));
      }
      expect(viaPackage).toContain('nlctrl');
      expect(direct.sort()).toEqual(viaPackage.sort());
      const copies = await dumps.dump(allFamilies);
      expect(copies.map((m) => nameOf(m.payload, 0, m.payload.length)).sort()).toEqual(viaPackage.sort());
      expect(sockets).toBe(1);
    } finally {
      dumps.close();
      connection.close();
    }
  });

  it("keeps the kernel's errno: a command the controller does not know is EOPNOTSUPP", async () => {
    const dumps = new DirectDumps(() => DirectSocket.open(1 << 20), 2000);
    try {
      await expect(dumps.dump({ ...allFamilies, cmd: 0xee })).rejects.toMatchObject({ errno: 95 });
    } finally {
      dumps.close();
    }
  });
});
