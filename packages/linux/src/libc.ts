import { createRequire } from 'node:module';

/**
 * libc through koffi (a maintained FFI with prebuilt binaries; no compiler on the user's
 * machine), for the few system calls Node has no API for. koffi is not a dependency of
 * this package: it is required, at the first use, from the package this code is bundled
 * into, so a package that never calls libc never needs it.
 */

export type Pointer = object;

/** A libc function as koffi declares it; `async` runs it on a worker thread. */
export interface NativeFunction {
  (...args: unknown[]): number;
  async(...args: unknown[]): void;
}

/** The part of koffi these packages use. */
export interface Koffi {
  load(path: string): NativeLibrary;
  alloc(type: string, count: number): Pointer;
  free(pointer: Pointer): void;
  view(pointer: Pointer, length: number): ArrayBuffer;
  address(pointer: Pointer): bigint;
  errno(): number;
}

export interface NativeLibrary {
  /** Declares a function from its C prototype (`int close(int)`). */
  func(signature: string): NativeFunction;
}

let opened: { koffi: Koffi; lib: NativeLibrary } | undefined;

/**
 * A loader for one set of libc calls: `bind` declares them on the first call (koffi parses
 * each prototype once), and every call answers that same set, or the same Error saying why
 * this system cannot have it (not Linux, koffi or libc missing, an error `bind` threw).
 */
export function libcLoader<T>(bind: (koffi: Koffi, lib: NativeLibrary) => T): () => T | Error {
  let loaded: T | Error | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    try {
      if (process.platform !== 'linux') throw new Error(`not Linux (${process.platform})`);
      if (opened === undefined) {
        const koffi = createRequire(import.meta.url)('koffi') as Koffi;
        opened = { koffi, lib: koffi.load('libc.so.6') };
      }
      loaded = bind(opened.koffi, opened.lib);
    } catch (error) {
      loaded = error instanceof Error ? error : new Error(String(error));
    }
    return loaded;
  };
}

/**
 * Throws unless this is 64-bit little-endian Linux (x86_64, arm64): for callers that lay
 * out kernel structures by hand, whose offsets and sizes are those of that ABI.
 */
export function requireLp64(): void {
  if (process.arch !== 'x64' && process.arch !== 'arm64') throw new Error(`unsupported architecture ${process.arch}`);
}
