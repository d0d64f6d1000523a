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
  /**
   * Optional: a cheaper way to run the checks it `accepts` (the network executor's batched
   * TCP connect). The scheduler uses it instead of `run` for those: no promise, signal or
   * timer per check. Every other check still goes through `run`.
   */
  readonly lane?: CheckLane | undefined;
}

/**
 * A callback path for checks that run thousands of times a second. The lane owns the
 * timeout: `settle` is called exactly once per started check, at the latest when
 * `request.timeoutMs` has passed (with a `timeout` result), unless the check is cancelled.
 * `settle` is never called from inside `start`; a lane that took an answer earlier than it
 * settles it says how long ago in `ageMs`, so that the latency is right.
 */
export interface CheckLane {
  /** Whether the lane can run this request now (its check type, address family, health). */
  accepts(request: CheckRequest): boolean;
  /** Starts a check; returns a handle for `cancel`. `token` is handed back to `settle` as is. */
  start<T>(request: CheckRequest, token: T, settle: (token: T, result: CheckResult, ageMs?: number) => void): number;
  /** Drops a started check: its resources are released and `settle` is not called. */
  cancel(handle: number): void;
}
