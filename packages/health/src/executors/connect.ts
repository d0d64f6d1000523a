import type { CheckRequest } from '../executor.js';
import { type CheckResult, pass } from '../result.js';
import { openSocket } from './socket.js';

/** TCP connect, then close at once (keepalived TCP_CHECK). */
export async function runConnect(request: CheckRequest, port: number, signal: AbortSignal): Promise<CheckResult> {
  const socket = await openSocket(request.address, port, signal);
  socket.destroy();
  return pass();
}
