import { randomBytes } from 'node:crypto';
import { TestkitError } from '../errors.js';

/**
 * Namespaces are named `tk-<pid>-<run>-<label>`: the pid lets a later run find and remove
 * what an interrupted run left behind (its owner is dead), the run id keeps parallel test
 * files in one process apart, and the label keeps `ip netns list` readable.
 */
export const NETNS_PREFIX = 'tk-';
const NAME = /^tk-(\d+)-[0-9a-f]+-[a-z0-9-]+$/;
const LABEL = /^[a-z][a-z0-9-]{0,19}$/;

export function checkLabel(label: string): string {
  if (!LABEL.test(label)) {
    throw new TestkitError(
      'TESTKIT_BAD_NAME',
      `label ${JSON.stringify(label)} must match ${LABEL} (lower case, starts with a letter, at most 20 characters)`,
    );
  }
  return label;
}

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

export function netnsName(runId: string, label: string): string {
  return `${NETNS_PREFIX}${process.pid}-${runId}-${checkLabel(label)}`;
}

/** The pid that created a namespace of ours, or undefined for a name that is not ours. */
export function ownerPid(name: string): number | undefined {
  const match = NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

const IFNAME = /^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/;

/** Interface names live inside our namespaces, but the kernel still limits them to 15 bytes. */
export function checkIfName(name: string): string {
  if (!IFNAME.test(name)) {
    throw new TestkitError('TESTKIT_BAD_NAME', `interface name ${JSON.stringify(name)} must match ${IFNAME}`);
  }
  return name;
}
