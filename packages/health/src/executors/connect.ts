import type { CheckRequest } from '../executor.js';
import { type CheckResult, pass } from '../result.js';
import { openSocket } from './socket.js';

/**
 * TCP connect, then close at once with a reset (as HAProxy's checks do): a FIN would leave
 * a TIME_WAIT entry on the balancer per check, 60 s each, which at thousands of checks a
 * second exhausts the ephemeral ports.
 */
export async function runConnect(request: CheckRequest, port: number, signal: AbortSignal): Promise<CheckResult> {
  const socket = await openSocket(request.address, port, signal);
  socket.resetAndDestroy();
  return pass();
}
