import { TestkitError } from '../errors.js';
import { which } from '../exec.js';
import { sweepStaleNamespaces } from '../netns/cleanup.js';
import { isRoot } from '../platform.js';

/** Fails the netns project at once, naming what is missing, instead of letting tests skip. */
export default async function setup(): Promise<void> {
  if (!isRoot()) {
    throw new TestkitError('TESTKIT_NOT_ROOT', 'the netns tests create network namespaces and need root');
  }
  if (!which('ip')) {
    throw new TestkitError('TESTKIT_MISSING_BINARY', 'the netns tests need `ip` (Debian package iproute2)');
  }
  await sweepStaleNamespaces();
}
