import { describe, expect, it } from 'vitest';
import { unmetLines, withoutModules } from '../src/uml/build.js';
import { choiceStands, describeChoice, type KernelChoice, nextStep, type ProbeResult } from '../src/uml/choice.js';
import { parseCpuinfo } from '../src/uml/host.js';
import { failureLine } from '../src/uml/probe.js';
import { forcedKernel } from '../src/uml/select.js';

const booted = (release = '6.1.176'): ProbeResult => ({ booted: true, release, seconds: 2.4 });
const PANIC = 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b';
const panicked: ProbeResult = { booted: false, seconds: 1.9, failure: PANIC };

describe('which kernel for which probe outcome', () => {
  it('probes the stock kernel first, and uses it when it boots (AMD EPYC, Intel without AMX)', () => {
    expect(nextStep(undefined, {})).toEqual({ action: 'probe', kernel: 'stock' });
    expect(nextStep(undefined, { stock: booted() })).toEqual({ action: 'use', kernel: 'stock' });
  });

  it('builds and probes the patched kernel only when the stock one fails (Intel with AMX)', () => {
    expect(nextStep(undefined, { stock: panicked })).toEqual({ action: 'probe', kernel: 'patched' });
    expect(nextStep(undefined, { stock: panicked, patched: booted() })).toEqual({ action: 'use', kernel: 'patched' });
  });

  it('fails naming every candidate and why when none boots', () => {
    const buildFailed: ProbeResult = { booted: false, seconds: 0, failure: 'make linux failed (exit 2)' };
    const step = nextStep(undefined, { stock: panicked, patched: buildFailed });
    expect(step.action).toBe('fail');
    expect(step.action === 'fail' && step.reason).toBe(
      `no UML kernel boots on this host:\n  stock: ${PANIC}\n  patched: make linux failed (exit 2)`,
    );
  });

  it('runs a forced kernel alone: never falls back to another, fails if it does not boot', () => {
    expect(nextStep('patched', {})).toEqual({ action: 'probe', kernel: 'patched' });
    expect(nextStep('patched', { patched: booted() })).toEqual({ action: 'use', kernel: 'patched' });
    expect(nextStep('custom', {})).toEqual({ action: 'probe', kernel: 'custom' });
    const step = nextStep('stock', { stock: panicked });
    expect(step).toEqual({
      action: 'fail',
      reason: `the kernel forced by SLUICE_UML_KERNEL=stock did not boot:\n  stock: ${PANIC}`,
    });
  });

  it('reads SLUICE_UML_KERNEL: stock, patched, or a path (custom)', () => {
    expect(forcedKernel('')).toBeUndefined();
    expect(forcedKernel(' ')).toBeUndefined();
    expect(forcedKernel(undefined)).toBeUndefined();
    expect(forcedKernel('stock')).toBe('stock');
    expect(forcedKernel('patched')).toBe('patched');
    expect(forcedKernel('/opt/uml/usr/bin/linux.uml')).toBe('custom');
  });
});

describe('the recorded choice', () => {
  const host = { kernel: '6.18.44', cpu: 'Intel(R) Xeon(R) Platinum 8581C', flags: ['xsave', 'avx512f', 'amx_tile'] };
  const record: KernelChoice = {
    host,
    keys: { stock: 'user-mode-linux_6.1um4+b13_amd64.deb', patched: 'abc' },
    probes: { stock: panicked, patched: { ...booted(), buildSeconds: 412 } },
    chosen: 'patched',
    at: '2026-12-06T17:00:00.000Z',
  };

  it('stands while the host, the forcing and every probed candidate are the same', () => {
    expect(choiceStands(record, host, undefined, { ...record.keys })).toBe(true);
    expect(choiceStands(record, { ...host, kernel: '6.19.1' }, undefined, record.keys)).toBe(false);
    expect(choiceStands(record, { ...host, flags: ['xsave', 'avx512f'] }, undefined, record.keys)).toBe(false);
    expect(choiceStands(record, host, 'patched', record.keys)).toBe(false);
    expect(choiceStands(record, host, undefined, { ...record.keys, patched: 'new config' })).toBe(false);
    // A candidate that was never probed does not matter.
    expect(choiceStands(record, host, undefined, { ...record.keys, custom: 'x' })).toBe(true);
  });

  it('is said in one line: kernel, why, each step and its time, the host', () => {
    expect(describeChoice(record, false)).toBe(
      `UML kernel 6.1.176 (patched; probed: stock failed in 1.9 s: ${PANIC}; patched built in 6m52s, booted in 2.4 s) on host 6.18.44, Intel(R) Xeon(R) Platinum 8581C [xsave avx512f amx_tile]`,
    );
    expect(describeChoice(record, true)).toMatch(/, recorded 2026-12-06T17:00:00.000Z$/);
  });
});

describe('what the rig reads from the host and the kernel', () => {
  it('keeps the CPU model and the flags that size the XSAVE area', () => {
    const cpuinfo = 'processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse xsave avx avx2 avx512f avx512bw\n';
    expect(parseCpuinfo(cpuinfo)).toEqual({ cpu: 'AMD EPYC', flags: ['xsave', 'avx', 'avx2', 'avx512f'] });
    expect(parseCpuinfo('')).toEqual({ cpu: 'unknown CPU', flags: [] });
  });

  it("finds the panic in a failed boot's console", () => {
    const console = [
      'Modules linked in:',
      'Pid: 1, comm: init Not tainted 6.1.176',
      `${PANIC}`,
      ' [<60029c2e>] put_fp_registers+0x1e/0x30',
    ].join('\n');
    expect(failureLine(`the UML kernel stopped without running the job (exit 0); console:\n${console}`)).toBe(PANIC);
    expect(failureLine('console:\nsomething else went wrong\n')).toBe('something else went wrong');
  });

  it('names the configuration lines Kconfig dropped', () => {
    const fragment =
      '# comment\n# CONFIG_MODULES is not set\nCONFIG_IP_VS=y\nCONFIG_IP_VS_RR=y\nCONFIG_KERNEL_STACK_ORDER=3\n';
    const config = '# CONFIG_MODULES is not set\nCONFIG_IP_VS=y\nCONFIG_IP_VS_RR=m\nCONFIG_KERNEL_STACK_ORDER=3\n';
    expect(unmetLines(fragment, config)).toEqual(['CONFIG_IP_VS_RR=y']);
    // An option whose menu is off is absent altogether: "is not set" holds.
    expect(unmetLines(fragment, config.replace('# CONFIG_MODULES is not set\n', ''))).toEqual(['CONFIG_IP_VS_RR=y']);
    expect(unmetLines(fragment, config.replace('# CONFIG_MODULES is not set', 'CONFIG_MODULES=y'))).toEqual([
      '# CONFIG_MODULES is not set',
      'CONFIG_IP_VS_RR=y',
    ]);
  });
});

describe("the patched kernel's configuration", () => {
  it("switches Debian's modules off rather than letting Kconfig build them all in", () => {
    const debian = 'CONFIG_HOSTFS=y\nCONFIG_CIFS=m\nCONFIG_IP_VS=m\n# CONFIG_FOO is not set\nCONFIG_X_M=my\n';
    expect(withoutModules(debian)).toBe(
      'CONFIG_HOSTFS=y\n# CONFIG_CIFS is not set\n# CONFIG_IP_VS is not set\n# CONFIG_FOO is not set\nCONFIG_X_M=my\n',
    );
  });
});
