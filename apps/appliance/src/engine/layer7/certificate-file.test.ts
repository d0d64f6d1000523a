import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectCertificateFile, readCertificateFile } from './certificate-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-certfile-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Gives a reader stuck on the FIFO its end of file (old code read FIFOs with a blocking open). */
async function release(fifo: string): Promise<void> {
  const writer = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
  await writer?.close();
}

function fifoAt(name: string): string {
  const fifo = join(dir, name);
  execFileSync('mkfifo', [fifo]);
  return fifo;
}

describe('certificate files: only regular files of a bounded size', () => {
  it('reads a regular file', async () => {
    const file = join(dir, 'site.pem');
    await writeFile(file, 'PEM TEXT');
    expect(await readCertificateFile(file, 'certificates[0].file')).toBe('PEM TEXT');
    expect(await inspectCertificateFile(file, 'certificates[0].file')).toBeUndefined();
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = fifoAt('fifo.pem');
    try {
      await expect(readCertificateFile(fifo, 'certificates[2].file')).rejects.toMatchObject({
        code: 'CERTIFICATE_INVALID',
        field: 'certificates[2].file',
        message: expect.stringContaining('is a FIFO'),
      });
      expect(await inspectCertificateFile(fifo, 'certificates[2].file')).toMatchObject({
        reason: 'not-a-file',
        error: { code: 'CERTIFICATE_INVALID', field: 'certificates[2].file' },
      });
    } finally {
      await release(fifo);
    }
  });

  it('refuses /dev/zero, also behind a symbolic link, without reading it', async () => {
    const link = join(dir, 'zero.pem');
    await symlink('/dev/zero', link);
    for (const file of ['/dev/zero', link]) {
      await expect(readCertificateFile(file, 'certificates[0].file')).rejects.toMatchObject({
        code: 'CERTIFICATE_INVALID',
        field: 'certificates[0].file',
        message: expect.stringContaining('is a device'),
      });
      expect((await inspectCertificateFile(file, 'certificates[0].file'))?.reason).toBe('not-a-file');
    }
  });

  it('refuses a file larger than the bound', async () => {
    const file = join(dir, 'big.pem');
    await writeFile(file, Buffer.alloc(2048, 0x41));
    await expect(readCertificateFile(file, 'f', { maxBytes: 1024 })).rejects.toMatchObject({
      code: 'CERTIFICATE_INVALID',
      field: 'f',
      message: expect.stringContaining('2048 bytes'),
    });
    expect((await inspectCertificateFile(file, 'f', 1024))?.reason).toBe('too-large');
    expect(await readCertificateFile(file, 'f', { maxBytes: 2048 })).toHaveLength(2048);
  });

  it('a missing file is "missing" to the write-time check and unreadable to the reader', async () => {
    const file = join(dir, 'absent.pem');
    expect((await inspectCertificateFile(file, 'f'))?.reason).toBe('missing');
    await expect(readCertificateFile(file, 'f')).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID', field: 'f' });
  });
});
