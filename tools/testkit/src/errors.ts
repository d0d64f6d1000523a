/** Every failure of the rig carries a stable code, so a test log says what was missing. */
export type TestkitErrorCode =
  | 'TESTKIT_NOT_ROOT'
  | 'TESTKIT_MISSING_BINARY'
  | 'TESTKIT_MISSING_PACKAGE'
  | 'TESTKIT_ADDRESS_NOT_DOCUMENTATION'
  | 'TESTKIT_BAD_NAME'
  | 'TESTKIT_BAD_SYSCTL'
  | 'TESTKIT_EXEC_FAILED'
  | 'TESTKIT_TIMEOUT'
  | 'TESTKIT_KERNEL_ASSETS'
  | 'TESTKIT_KERNEL_BOOT'
  | 'TESTKIT_KERNEL_BUILD'
  | 'TESTKIT_NO_IPVS'
  | 'TESTKIT_MISSING_FILE'
  | 'TESTKIT_SYSROOT'
  | 'TESTKIT_SYSTEM_BOOT'
  | 'TESTKIT_SYSTEM_STOPPED'
  | 'TESTKIT_SERVER_START'
  | 'TESTKIT_README'
  /** SLUICE_QEMU_ACCEL names no accelerator, or KVM that cannot be opened. */
  | 'TESTKIT_BAD_ACCEL';

export class TestkitError extends Error {
  override readonly name = 'TestkitError';
  readonly code: TestkitErrorCode;

  constructor(code: TestkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
