/**
 * The netlink writes a process sent, read from `strace -f -e trace=sendto,sendmsg` output:
 * an independent count (the kernel's side of the socket, not the appliance's own report).
 * strace names the IPVS generic netlink family and the rtnetlink message types; the first
 * payload byte of a generic netlink message is its command.
 */

/** The IPVS commands that change the kernel's state (include/uapi/linux/ip_vs.h). */
const IPVS_WRITES: Record<number, string> = {
  1: 'NEW_SERVICE',
  2: 'SET_SERVICE',
  3: 'DEL_SERVICE',
  5: 'NEW_DEST',
  6: 'SET_DEST',
  7: 'DEL_DEST',
  9: 'NEW_DAEMON',
  10: 'DEL_DAEMON',
  12: 'SET_CONFIG',
  16: 'ZERO',
  17: 'FLUSH',
};

export interface NetlinkWrites {
  /** IPVS commands that change state, by name (`NEW_DEST`: 2). */
  ipvs: Record<string, number>;
  /** rtnetlink messages that change state (`RTM_NEWADDR`: 1). */
  rtnetlink: Record<string, number>;
  /** Every IPVS message seen, reads included: a trace that saw none saw nothing. */
  ipvsMessages: number;
}

export function netlinkWrites(trace: string): NetlinkWrites {
  const out: NetlinkWrites = { ipvs: {}, rtnetlink: {}, ipvsMessages: 0 };
  for (const match of trace.matchAll(/nlmsg_type=IPVS,[^}]*\}, "\\x([0-9a-f]{2})/g)) {
    out.ipvsMessages++;
    const name = IPVS_WRITES[Number.parseInt(match[1] as string, 16)];
    if (name) out.ipvs[name] = (out.ipvs[name] ?? 0) + 1;
  }
  for (const match of trace.matchAll(/nlmsg_type=(RTM_(?:NEW|DEL|SET)[A-Z]+)/g)) {
    const name = match[1] as string;
    out.rtnetlink[name] = (out.rtnetlink[name] ?? 0) + 1;
  }
  return out;
}

/** How many writes in all. */
export const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);
