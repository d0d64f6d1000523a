import { constants } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { ApplianceError } from '../../errors.js';

/**
 * A certificate file (HAProxy's `crt`: the chain and its key in PEM) is at most this big. A
 * chain of a leaf, two intermediates and an RSA 8192 key is about 20 KiB; 1 MiB leaves room
 * for long chains and never lets a wrong path (a log, a disk image) be read whole.
 */
export const MAX_CERTIFICATE_BYTES = 1024 * 1024;
/** A read that takes longer (a hung network file system) fails instead of holding the apply queue. */
export const CERTIFICATE_READ_TIMEOUT_MS = 10_000;

export type CertificateFileReason = 'missing' | 'unreadable' | 'not-a-file' | 'too-large' | 'timeout';

export interface CertificateFileProblem {
  reason: CertificateFileReason;
  /** CERTIFICATE_INVALID naming the configuration field. */
  error: ApplianceError;
}

const problem = (reason: CertificateFileReason, field: string, message: string, cause?: unknown) => ({
  reason,
  error: new ApplianceError('CERTIFICATE_INVALID', `${field}: ${message}`, {
    field,
    ...(cause === undefined ? {} : { cause }),
  }),
});

function typeOf(info: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}) {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** What is wrong with the file at `file` as a certificate file, by its type and size only (stat never blocks). */
export async function inspectCertificateFile(
  file: string,
  field: string,
  maxBytes = MAX_CERTIFICATE_BYTES,
): Promise<CertificateFileProblem | undefined> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    return problem(missing ? 'missing' : 'unreadable', field, `${file} cannot be read`, cause);
  }
  if (!info.isFile()) {
    return problem('not-a-file', field, `${file} is ${typeOf(info)}: a certificate must be a regular file`);
  }
  if (info.size > maxBytes) {
    return problem('too-large', field, `${file} holds ${info.size} bytes, more than a certificate file (${maxBytes})`);
  }
  return undefined;
}

/**
 * The text of a certificate file, read so that no path can hang or flood the caller: the
 * open does not wait for a FIFO's writer (O_NONBLOCK), the opened file must be a regular
 * file of at most `maxBytes` (checked on the handle, so a file swapped after a check is
 * caught), the read stops past `maxBytes`, and the whole takes at most `timeoutMs`.
 * Throws CERTIFICATE_INVALID naming `field`.
 */
export async function readCertificateFile(
  file: string,
  field: string,
  options: { maxBytes?: number; timeoutMs?: number } = {},
): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_CERTIFICATE_BYTES;
  const timeoutMs = options.timeoutMs ?? CERTIFICATE_READ_TIMEOUT_MS;
  let handle: FileHandle | undefined;
  let timedOut = false;
  const read = async (): Promise<string> => {
    try {
      handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (cause) {
      throw problem('unreadable', field, `${file} cannot be read`, cause).error;
    }
    // The read may finish after the timeout: the handle is closed then, not leaked.
    if (timedOut) throw problem('timeout', field, `${file} took too long to open`).error;
    const info = await handle.stat();
    if (!info.isFile()) {
      throw problem('not-a-file', field, `${file} is ${typeOf(info)}: a certificate must be a regular file`).error;
    }
    if (info.size > maxBytes) {
      throw problem('too-large', field, `${file} holds ${info.size} bytes, more than a certificate file (${maxBytes})`)
        .error;
    }
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0 || timedOut) break;
      length += bytesRead;
      if (length > maxBytes) {
        throw problem('too-large', field, `${file} grew past ${maxBytes} bytes while it was read`).error;
      }
    }
    return buffer.subarray(0, length).toString('utf8');
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(problem('timeout', field, `${file} could not be read within ${timeoutMs} ms`).error);
    }, timeoutMs);
    timer.unref();
  });
  const reading = read();
  try {
    return await Promise.race([reading, timeout]);
  } finally {
    clearTimeout(timer);
    // Closed once the read is done, whichever way (after a timeout, when it finally returns).
    void reading.catch(() => undefined).finally(() => handle?.close().catch(() => undefined));
  }
}
