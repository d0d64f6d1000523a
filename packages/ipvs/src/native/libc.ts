import { createRequire } from 'node:module';

/**
 * The few libc calls this package makes itself, through koffi (a maintained FFI with
 * prebuilt binaries; no compiler on the user's machine). Loaded on first use, so users of
 * the event-driven paths never load it.
 */

export type Pointer = object;

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => number };
  alloc(type: string, count: number): Pointer;
  free(pointer: Pointer): void;
  view(pointer: Pointer, length: number): ArrayBuffer;
  address(pointer: Pointer): bigint;
  errno(): number;
}

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

let libc: Libc | Error | undefined;

/** libc, or an Error saying why this platform cannot have it. */
export function loadLibc(): Libc | Error {
  if (libc !== undefined) return libc;
  try {
    if (process.platform !== 'linux') throw new Error(`not Linux (${process.platform})`);
    // The structures this package lays out by hand are those of 64-bit little-endian Linux.
    if (process.arch !== 'x64' && process.arch !== 'arm64') throw new Error(`unsupported architecture ${process.arch}`);
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const lib = koffi.load('libc.so.6');
    libc = {
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
  } catch (error) {
    libc = error instanceof Error ? error : new Error(String(error));
  }
  return libc;
}
