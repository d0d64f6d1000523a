import { connect } from 'node:net';
import type { CheckRequest } from '../executor.js';
import type { CheckResult } from '../result.js';

/** Shared by every passing connect check: the result is read-only. */
const CONNECTED: CheckResult = Object.freeze({ ok: true });

/**
 * TCP connect, then close at once with a reset (as HAProxy's checks do): a FIN would leave
 * a TIME_WAIT entry on the balancer per check, 60 s each, which at thousands of checks a
 * second exhausts the ephemeral ports. Written out rather than through `openSocket`: this
 * is the check that runs ten thousand times a second, so it allocates as little as it can.
 */
export function runConnect(request: CheckRequest, port: number, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const socket = connect({ host: request.address, port });
    // The scheduler has already reported the timeout; this only lets the socket go.
    const onAbort = () => socket.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.resetAndDestroy();
      resolve(CONNECTED);
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(error);
    });
  });
}
