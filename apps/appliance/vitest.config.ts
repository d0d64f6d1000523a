import { defineSuite } from '@sluice/testkit/vitest';

// Sixteen kernel files (end-to-end labs, HA pairs, a daemon under strace) run in one UML
// boot: the watchdog for a hung suite allows for all of them on two busy cores.
export default defineSuite(import.meta.dirname, { kernelTimeoutMs: 40 * 60_000 });
