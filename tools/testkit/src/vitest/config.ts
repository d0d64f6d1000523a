import { globSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR } from '../paths.js';
import { kernelMode } from '../platform.js';

/** File name conventions: the suffix says what a test needs, the rig provides it. */
export const UNIT_TESTS = '{src,test}/**/*.test.ts';
export const NETNS_TESTS = '{src,test}/**/*.netns.test.ts';
export const KERNEL_TESTS = '{src,test}/**/*.kernel.test.ts';
export const SYSTEM_TESTS = '{src,test}/**/*.system.test.ts';
export const VM_TESTS = '{src,test}/**/*.vm.test.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export interface KernelSuite {
  root: string;
  files: string[];
  timeoutMs: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sluiceKernel: KernelSuite;
  }
}

export interface SuiteOptions {
  /** Watchdog for the whole kernel suite in the VM (default 20 minutes). */
  kernelTimeoutMs?: number;
}

/**
 * The vitest configuration of a package of this repository: up to three projects.
 * - `unit`: `*.test.ts`, plain logic, no privileges.
 * - `netns`: `*.netns.test.ts`, real network namespaces on the host (root).
 * - `kernel`: `*.kernel.test.ts`, a kernel with IPVS: this one if it has IPVS, otherwise
 *   the whole project runs in the User-Mode Linux kernel, booted once for the suite, and
 *   its results are reported here test by test.
 * - `system`: `*.system.test.ts`, on the host (root); each test boots a Debian 12 root with
 *   systemd as PID 1 in the UML kernel (`bootSystem`) and drives it from here.
 * - `vm`: `*.vm.test.ts`, on the host (root); whole virtual machines under qemu (`bootQemu`:
 *   TCG, or KVM with SLUICE_QEMU_ACCEL=kvm), e.g. the virtual appliance's disk images.
 * A project without files is left out; a project whose needs are unmet fails, never skips.
 */
export async function defineSuite(root: string, options: SuiteOptions = {}) {
  const has = (pattern: string) => globSync(pattern, { cwd: root, exclude: ['**/node_modules/**'] }).length > 0;
  const mode = await kernelMode();
  const name = basename(root);
  const common = { root, testTimeout: 60_000, hookTimeout: 60_000 };
  const projects: Record<string, unknown>[] = [];

  if (mode !== 'guest') {
    if (has(UNIT_TESTS)) {
      projects.push({
        test: {
          ...common,
          name: 'unit',
          include: [UNIT_TESTS],
          exclude: [NETNS_TESTS, KERNEL_TESTS, SYSTEM_TESTS, VM_TESTS],
        },
      });
    }
    if (has(NETNS_TESTS)) {
      projects.push({
        test: { ...common, name: 'netns', include: [NETNS_TESTS], globalSetup: [here('./netns-setup.js')] },
      });
    }
  }
  if (has(KERNEL_TESTS)) {
    if (mode === 'vm') {
      const proxy = here('./kernel-proxy.js');
      const files = globSync(KERNEL_TESTS, { cwd: root, exclude: ['**/node_modules/**'] });
      const suite: KernelSuite = { root, files, timeoutMs: options.kernelTimeoutMs ?? 20 * 60_000 };
      projects.push({
        test: {
          ...common,
          name: 'kernel',
          dir: join(proxy, '..'),
          include: [basename(proxy)],
          testTimeout: suite.timeoutMs,
          provide: { sluiceKernel: suite },
        },
      });
    } else {
      projects.push({
        test: {
          ...common,
          name: 'kernel',
          include: [KERNEL_TESTS],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One kernel, one IPVS table per namespace: files run one after another.
          fileParallelism: false,
          globalSetup: [here('./kernel-setup.js')],
        },
      });
    }
  }
  if (mode !== 'guest' && has(SYSTEM_TESTS)) {
    projects.push({
      test: {
        ...common,
        name: 'system',
        include: [SYSTEM_TESTS],
        // A boot takes tens of seconds on a busy machine; the root and the kernel are made
        // (minutes, once per machine) in the global setup, outside any test's time.
        testTimeout: 300_000,
        hookTimeout: 600_000,
        // Each file boots its own guests: one file at a time on two cores.
        fileParallelism: false,
        globalSetup: [here('./system-setup.js')],
      },
    });
  }

  if (mode !== 'guest' && has(VM_TESTS)) {
    projects.push({
      test: {
        ...common,
        name: 'vm',
        include: [VM_TESTS],
        // An image build (minutes) and boots under TCG (minutes each on two busy cores).
        testTimeout: 20 * 60_000,
        hookTimeout: 60 * 60_000,
        fileParallelism: false,
      },
    });
  }

  return {
    test: {
      projects,
      reporters:
        mode === 'guest' ? ['verbose'] : ['verbose', ['json', { outputFile: join(RESULTS_DIR, `${name}.json`) }]],
    },
  };
}
