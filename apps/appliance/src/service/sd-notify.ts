/**
 * systemd's notification protocol (sd_notify(3)): `READY=1` when the API answers and the
 * first apply is done, `RELOADING=1`/`READY=1` around a reload, `STOPPING=1`, `STATUS=`.
 * The daemon's main process sends them itself over the AF_UNIX datagram socket systemd
 * names in NOTIFY_SOCKET, so the unit can keep `NotifyAccess=main`: `systemd-notify` run
 * as a child needs `NotifyAccess=all` and loses messages when it exits before systemd
 * reads them (systemd then cannot tell which unit sent them). Node has no Unix datagram
 * sockets, hence libc through koffi, as the packages use it.
 */
import { errnoName, type Koffi, libcLoader, SOCK_CLOEXEC, SOCK_DGRAM } from '@sluice/linux';
import { ApplianceError } from '../errors.js';

const AF_UNIX = 1;
/** sizeof(struct sockaddr_un): the family (2 bytes) and a 108-byte path. */
const SOCKADDR_UN_SIZE = 110;
const MSG_NOSIGNAL = 0x4000;

const libc = libcLoader((koffi: Koffi, lib) => {
  return {
    socket: lib.func('int socket(int, int, int)'),
    sendto: lib.func('intptr_t sendto(int, void *, uintptr_t, int, void *, uint32_t)'),
    close: lib.func('int close(int)'),
    errno: () => koffi.errno(),
  };
});

const failed = (why: string, cause?: unknown) =>
  new ApplianceError('SERVICE_NOTIFY_FAILED', `cannot notify systemd: ${why}`, {
    field: 'NOTIFY_SOCKET',
    ...(cause === undefined ? {} : { cause }),
  });

/** Where systemd listens, as the socket address bytes; undefined when not run by systemd. */
export function notifyAddress(socketPath: string | undefined): Buffer | undefined {
  if (socketPath === undefined || socketPath === '') return undefined;
  // `@name` is an abstract socket: its address starts with a NUL byte.
  const abstract = socketPath.startsWith('@');
  const path = Buffer.from(abstract ? `\0${socketPath.slice(1)}` : socketPath);
  if (!abstract && !socketPath.startsWith('/')) {
    throw failed(`NOTIFY_SOCKET ${JSON.stringify(socketPath)} is neither a path nor an abstract name`);
  }
  if (path.length > SOCKADDR_UN_SIZE - 2 - (abstract ? 0 : 1)) {
    throw failed(`NOTIFY_SOCKET ${JSON.stringify(socketPath)} is longer than a Unix socket address`);
  }
  // An abstract name's length is exact (no terminating NUL); a path is NUL-terminated.
  const address = Buffer.alloc(2 + path.length + (abstract ? 0 : 1));
  address.writeUInt16LE(AF_UNIX, 0);
  path.copy(address, 2);
  return address;
}

/**
 * One notification (`READY=1`, `STATUS=...`, several joined by newlines). Returns false
 * when the process was not started by systemd with a notify socket; throws when it was and
 * the message could not be sent (the unit would otherwise wait for a readiness that
 * never comes, until its start timeout).
 */
export function sdNotify(state: string, socketPath = process.env.NOTIFY_SOCKET): boolean {
  const address = notifyAddress(socketPath);
  if (address === undefined) return false;
  const calls = libc();
  if (calls instanceof Error) throw failed(calls.message, calls);
  const fd = calls.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw failed(`socket() failed: ${errnoName(calls.errno())}`);
  try {
    const message = Buffer.from(state);
    const sent = calls.sendto(fd, message, message.length, MSG_NOSIGNAL, address, address.length);
    if (sent !== message.length) throw failed(`sendto ${socketPath} failed: ${errnoName(calls.errno())}`);
  } finally {
    calls.close(fd);
  }
  return true;
}
