import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stockKernel } from '../src/uml/assets.js';
import { probeKernel } from '../src/uml/probe.js';

// The probe against real kernels: Debian's stock UML (fetched by `prepare`), and the same
// kernel made to fail in the two ways the rig must tell apart.
describe('probing a UML kernel', () => {
  it('boots the stock kernel and reads its release', async () => {
    const probe = await probeKernel(await stockKernel());
    expect(probe).toMatchObject({ booted: true, release: expect.stringMatching(/^6\.1\.\d+$/) });
    expect(probe.seconds).toBeGreaterThan(0);
  });

  it('says a kernel that never ran the job did not boot, with what it printed', async () => {
    const probe = await probeKernel({ ...(await stockKernel()), kernel: '/bin/false' });
    expect(probe.booted).toBe(false);
    expect(probe.failure).toMatch(/stopped without running the job|exit 1/);
    // A binary that cannot be started at all.
    const missing = await probeKernel({ ...(await stockKernel()), kernel: '/nonexistent/linux.uml' });
    expect(missing).toMatchObject({ booted: false, failure: expect.stringMatching(/ENOENT/) });
  });

  it('says a kernel that boots but cannot run the job is no candidate, and why', async () => {
    // An empty module tree: Debian's kernel has overlay and IPVS only as modules, so the
    // guest's root cannot be mounted and the job cannot start.
    const empty = mkdtempSync(join(tmpdir(), 'no-modules-'));
    const probe = await probeKernel({ ...(await stockKernel()), moduleDir: empty });
    expect(probe.booted).toBe(false);
    expect(probe.failure).toMatch(/^the probe job failed \(exit \d+\): /);
  });
});
