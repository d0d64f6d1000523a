import { readFileSync } from 'node:fs';
import { release } from 'node:os';

/**
 * What of the host decides whether a UML kernel boots on it: the host kernel (it answers
 * UML's ptrace calls) and the CPU's vector state (its XSAVE area grows with AVX-512 and
 * AMX, and UML 6.1 restores the guest's registers through a fixed buffer).
 */
export interface HostFingerprint {
  kernel: string;
  cpu: string;
  /** The CPU flags among `RELEVANT_FLAGS` that this host has, in that order. */
  flags: string[];
}

/** The flags that change the size of the XSAVE area, and so whether stock UML 6.1 boots. */
export const RELEVANT_FLAGS = ['xsave', 'avx', 'avx2', 'avx512f', 'amx_tile', 'amx_bf16', 'amx_int8'] as const;

/** Reads a fingerprint from /proc/cpuinfo's text (exported for tests). */
export function parseCpuinfo(cpuinfo: string): Pick<HostFingerprint, 'cpu' | 'flags'> {
  const field = (name: string) =>
    cpuinfo
      .split('\n')
      .find((line) => line.startsWith(name))
      ?.split(':')[1]
      ?.trim() ?? '';
  const present = new Set(field('flags').split(/\s+/));
  return { cpu: field('model name') || 'unknown CPU', flags: RELEVANT_FLAGS.filter((f) => present.has(f)) };
}

export function hostFingerprint(): HostFingerprint {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: the fingerprint says "unknown CPU", and no kernel boots anyway
  }
  return { kernel: release(), ...parseCpuinfo(cpuinfo) };
}

export function describeHost(host: HostFingerprint): string {
  return `host ${host.kernel}, ${host.cpu} [${host.flags.join(' ') || 'no vector flags'}]`;
}

export function sameHost(a: HostFingerprint, b: HostFingerprint): boolean {
  return a.kernel === b.kernel && a.cpu === b.cpu && a.flags.join(' ') === b.flags.join(' ');
}
