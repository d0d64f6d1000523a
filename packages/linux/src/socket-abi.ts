/**
 * The socket(2) and setsockopt(2) values of Linux's ABI that Node does not export. Plain
 * numbers: they are the same on x86_64, arm64 and every other architecture but MIPS,
 * SPARC and Alpha, which Node does not ship for.
 */

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
/** So that children (external checks, helpers) never inherit the descriptor. */
export const SOCK_CLOEXEC = 0o2000000;

export const SOL_SOCKET = 1;
