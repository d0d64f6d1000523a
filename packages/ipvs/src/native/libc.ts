import { libcLoader, requireLp64 } from '@sluice/linux';

/*
 * The few libc calls this package makes itself, through koffi (a maintained FFI with
 * prebuilt binaries; no compiler on the user's machine), with the loader the packages
 * share through the private @sluice/linux (bundled). Loaded on first use, so users of the
 * event-driven paths never load it.
 */

export type Pointer = object;

export interface Libc {
  alloc(bytes: number): Pointer;
  free(pointer: Pointer): void;
  /** The memory behind a pointer, as a Buffer (valid until free()). */
  view(pointer: Pointer, bytes: number): Buffer;
  address(pointer: Pointer): bigint;
  errno(): number;
  socket(domain: number, type: number, protocol: number): number;
  send(fd: number, buf: Buffer, length: number, flags: number): number;
  recvmmsg(fd: number, headers: Pointer, vlen: number, flags: number, timeout: null): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  /** `length` is in and out: [bytes]. */
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: [number]): number;
  close(fd: number): number;
}

export const EINTR = 4;
export const EAGAIN = 11;

/** libc, or an Error saying why this platform cannot have it. */
export const loadLibc: () => Libc | Error = libcLoader((koffi, lib) => {
  // The structures this package lays out by hand are those of 64-bit little-endian Linux.
  requireLp64();
  return {
    alloc: (bytes) => koffi.alloc('uint8_t', bytes),
    free: (pointer) => koffi.free(pointer),
    view: (pointer, bytes) => Buffer.from(koffi.view(pointer, bytes)),
    address: (pointer) => koffi.address(pointer),
    errno: () => koffi.errno(),
    socket: lib.func('int socket(int, int, int)'),
    send: lib.func('intptr_t send(int, void *, uintptr_t, int)'),
    recvmmsg: lib.func('int recvmmsg(int, void *, unsigned int, int, void *)'),
    setsockopt: lib.func('int setsockopt(int, int, int, void *, uint32_t)'),
    getsockopt: lib.func('int getsockopt(int, int, int, void *, _Inout_ uint32_t *)'),
    close: lib.func('int close(int)'),
  } as Libc;
});
