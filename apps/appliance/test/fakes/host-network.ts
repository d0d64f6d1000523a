import { join } from 'node:path';
import { createHostApplier } from '../../src/host-network/apply.js';
import { createHostNetwork, type HostNetwork, type HostNetworkOptions } from '../../src/host-network/control.js';
import type { TrialClock } from '../../src/host-network/trial.js';

/**
 * A managed host network whose host is a temporary root and a runner that runs nothing
 * (networkctl and the others are the system test's), on the test's clock.
 */
export function fakeHostNetwork(
  root: string,
  store: HostNetworkOptions['store'],
  logs: HostNetworkOptions['logs'],
  clock: TrialClock,
  confirmSeconds?: number,
): HostNetwork {
  return createHostNetwork({
    manage: true,
    store,
    logs,
    apply: createHostApplier({ root, runner: async () => ({ code: 0, stdout: '', stderr: '' }) }),
    trialFile: join(root, 'trial.json'),
    ...(confirmSeconds === undefined ? {} : { confirmSeconds }),
    clock,
  });
}
