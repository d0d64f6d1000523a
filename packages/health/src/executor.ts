import type { CheckDefinition } from './checks.js';
import type { CheckResult } from './result.js';

/** Everything a check needs to run once against one real server. */
export interface CheckRequest {
  check: CheckDefinition;
  address: string;
  /** The port to use (the check's, else the target's, else the protocol's default). */
  port: number | undefined;
  /** The target's own port, for external checks' arguments. */
  realPort: number | undefined;
  virtual: { address: string; port: number | undefined } | undefined;
  timeoutMs: number;
}

/**
 * Runs checks. The scheduler enforces the timeout itself: when `signal` aborts, the
 * executor should release what it holds (sockets, processes) promptly; whatever it
 * resolves with after that is ignored.
 */
export interface CheckExecutor {
  run(request: CheckRequest, signal: AbortSignal): Promise<CheckResult>;
}
