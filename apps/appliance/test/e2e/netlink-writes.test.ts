import { describe, expect, it } from 'vitest';
import { netlinkWrites } from './harness/netlink-writes.js';

// Lines as strace 6.1 prints them (Debian 12), captured in the test kernel: `ipvsadm -A`
// (the family lookup, then NEW_SERVICE), a dump of services, and an address added.
const TRACE = `212 sendmsg(3, {msg_name={sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, msg_namelen=12, msg_iov=[{iov_base=[{nlmsg_len=32, nlmsg_type=nlctrl, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=1796644275, nlmsg_pid=-918551804}, "\\x03\\x01\\x00\\x00\\x09\\x00\\x02\\x00\\x49\\x50\\x56\\x53\\x00\\x00\\x00\\x00"], iov_len=32}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 32
212 sendmsg(3, {msg_name={sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, msg_namelen=12, msg_iov=[{iov_base=[{nlmsg_len=104, nlmsg_type=IPVS, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=1796644276, nlmsg_pid=-918551804}, "\\x01\\x01\\x00\\x00\\x54\\x00\\x01\\x80"], iov_len=104}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 104
213 sendto(21, [{nlmsg_len=20, nlmsg_type=IPVS, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=7, nlmsg_pid=0}, "\\x04\\x01\\x00\\x00"], 20, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 20
213 sendto(21, [[{nlmsg_len=44, nlmsg_type=IPVS, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=8, nlmsg_pid=0}, "\\x06\\x01\\x00\\x00"], [{nlmsg_len=44, nlmsg_type=IPVS, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=9, nlmsg_pid=0}, "\\x05\\x01\\x00\\x00"]], 88, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 88
214 sendto(23, [{nlmsg_len=40, nlmsg_type=RTM_NEWADDR, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE, nlmsg_seq=3, nlmsg_pid=0}, {ifa_family=AF_INET, ifa_prefixlen=24, ifa_flags=0, ifa_scope=RT_SCOPE_UNIVERSE, ifa_index=if_nametoindex("eth1")}], 40, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 40
214 sendto(23, [{nlmsg_len=20, nlmsg_type=RTM_GETADDR, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=4, nlmsg_pid=0}, {ifa_family=AF_UNSPEC}], 20, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 20
`;

describe('netlinkWrites (strace output)', () => {
  it('counts the IPVS commands that write and the rtnetlink writes, and every IPVS message', () => {
    expect(netlinkWrites(TRACE)).toEqual({
      ipvs: { NEW_SERVICE: 1, SET_DEST: 1, NEW_DEST: 1 },
      rtnetlink: { RTM_NEWADDR: 1 },
      ipvsMessages: 4,
    });
  });

  it('finds nothing in a trace of reads only', () => {
    const reads = TRACE.split('\n')
      .filter((line) => line.includes('NLM_F_DUMP'))
      .join('\n');
    expect(netlinkWrites(reads)).toEqual({ ipvs: {}, rtnetlink: {}, ipvsMessages: 1 });
  });
});
