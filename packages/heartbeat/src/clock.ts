/** Time for the state machine: monotonic milliseconds and one-shot timers. Tests pass a fake. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Runs `fn` once pending input has been handled. Node.js runs expired timers before it
   * reads sockets, so after a stall of this process a deadline timer would fire while
   * the heartbeats that arrived meanwhile still sit unread: a death is confirmed only
   * after they are read. Without it, `fn` runs at once.
   */
  defer?(fn: () => void): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  defer: (fn) => {
    setImmediate(fn);
  },
};
