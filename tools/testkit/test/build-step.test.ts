import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { step } from '../src/uml/build.js';

// The kernel build's steps, with real processes: output into the log, failures quoting it.
describe('a step of the kernel build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'build-step-'));
  const log = join(dir, 'build.log');

  it("appends the command and its output to the build's log", async () => {
    await step(log, 'sh', ['-c', 'echo compiled; echo warned >&2'], dir);
    expect(readFileSync(log, 'utf8')).toContain('$ sh -c echo compiled; echo warned >&2\ncompiled\nwarned\n');
  });

  it("fails with a code and the log's last lines", async () => {
    const failed = step(log, 'sh', ['-c', 'echo "fatal error: libvdeplug.h"; exit 2'], dir);
    await expect(failed).rejects.toMatchObject({
      code: 'TESTKIT_KERNEL_BUILD',
      message: expect.stringMatching(/failed \(exit 2\)[\s\S]*fatal error: libvdeplug\.h/),
    });
  });

  it('fails when the program does not exist', async () => {
    await expect(step(log, 'no-such-compiler', [], dir)).rejects.toMatchObject({ code: 'TESTKIT_MISSING_BINARY' });
  });

  it('stops the whole process group when it runs too long', async () => {
    // The shell's child would outlive a kill of the shell alone, as a compiler outlives make.
    const pidFile = join(dir, 'child.pid');
    const slow = step(log, 'sh', ['-c', `sleep 600 & echo $! > ${pidFile}; wait`], dir, 500);
    await expect(slow).rejects.toMatchObject({ code: 'TESTKIT_TIMEOUT' });
    const child = Number(readFileSync(pidFile, 'utf8'));
    // Gone, or a zombie until this machine's init reaps the orphan.
    const state = () => {
      try {
        return readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.[0];
      } catch {
        return 'gone';
      }
    };
    await vi.waitFor(() => expect(['gone', 'Z']).toContain(state()));
  });
});
