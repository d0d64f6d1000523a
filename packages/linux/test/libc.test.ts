import { describe, expect, it } from 'vitest';
import { libcLoader, requireLp64 } from '../src/libc.js';
import * as abi from '../src/socket-abi.js';

const SO_TYPE = 3;
const SO_DOMAIN = 39;
const F_GETFD = 1;
const F_GETFL = 3;
const FD_CLOEXEC = 1;
const O_NONBLOCK = 0o4000;

const load = libcLoader((koffi, lib) => {
  requireLp64();
  return {
    errno: () => koffi.errno(),
    socket: lib.func('int socket(int, int, int)'),
    getsockopt: lib.func('int getsockopt(int, int, int, void *, void *)'),
    fcntl: lib.func('int fcntl(int, int, int)'),
    close: lib.func('int close(int)'),
  };
});

function libc() {
  const loaded = load();
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

describe('libcLoader', () => {
  it('binds the calls once and answers the same set every time', () => {
    expect(libc()).toBe(load());
  });

  it('keeps the Error of a set that cannot be had, and answers it again', () => {
    let binds = 0;
    const missing = libcLoader((_koffi, lib) => {
      binds++;
      return { none: lib.func('int sluice_no_such_function(int)') };
    });
    const first = missing();
    expect(first).toBeInstanceOf(Error);
    expect(missing()).toBe(first);
    expect(binds).toBe(1);
  });

  it('gives the errno of a failed call', () => {
    const c = libc();
    expect(c.close(-1)).toBe(-1);
    expect(c.errno()).toBe(9); // EBADF
  });
});

describe('the socket ABI values are the kernel’s', () => {
  const option = (fd: number, name: number) => {
    const value = new Int32Array(1);
    const length = new Uint32Array([4]);
    expect(libc().getsockopt(fd, abi.SOL_SOCKET, name, value, length)).toBe(0);
    return value[0];
  };

  it.each([
    ['AF_INET SOCK_STREAM', abi.AF_INET, abi.SOCK_STREAM, 0],
    ['AF_INET6 SOCK_DGRAM', abi.AF_INET6, abi.SOCK_DGRAM, 0],
    ['AF_NETLINK SOCK_RAW', abi.AF_NETLINK, abi.SOCK_RAW, 0], // NETLINK_ROUTE
  ])('%s', (_name, domain, type, protocol) => {
    const c = libc();
    const fd = c.socket(domain, type | abi.SOCK_NONBLOCK | abi.SOCK_CLOEXEC, protocol);
    expect(fd, `socket: errno ${c.errno()}`).toBeGreaterThanOrEqual(0);
    try {
      expect(option(fd, SO_DOMAIN)).toBe(domain);
      expect(option(fd, SO_TYPE)).toBe(type);
      expect(c.fcntl(fd, F_GETFL, 0) & O_NONBLOCK).toBe(O_NONBLOCK);
      expect(c.fcntl(fd, F_GETFD, 0) & FD_CLOEXEC).toBe(FD_CLOEXEC);
    } finally {
      c.close(fd);
    }
  });
});
