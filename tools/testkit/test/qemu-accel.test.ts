import { describe, expect, it } from 'vitest';
import { TestkitError } from '../src/errors.js';
import { qemuAccel } from '../src/qemu/machine.js';

// An openable /dev/kvm is not a KVM that boots guests (the project's Intel hosts): the
// rig emulates unless told otherwise.
describe('qemuAccel', () => {
  it('is TCG unless asked, whatever /dev/kvm is', () => {
    expect(qemuAccel({})).toBe('tcg');
    expect(qemuAccel({ SLUICE_QEMU_ACCEL: '' })).toBe('tcg');
    expect(qemuAccel({ SLUICE_QEMU_ACCEL: 'tcg' })).toBe('tcg');
  });

  it('refuses an accelerator it does not know, naming the variable', () => {
    let error: unknown;
    try {
      qemuAccel({ SLUICE_QEMU_ACCEL: 'hvf' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TestkitError);
    expect(error).toMatchObject({ code: 'TESTKIT_BAD_ACCEL' });
    expect((error as Error).message).toContain('SLUICE_QEMU_ACCEL');
  });
});
