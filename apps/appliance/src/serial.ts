/**
 * One task at a time, in the order given: each starts when the one before has settled
 * (resolved or rejected), and a failure is the caller's alone, never the next task's.
 * The store, the admin states, the tokens, the drivers and the HA node each keep one.
 */
export interface Serial {
  <T>(task: () => T | Promise<T>): Promise<T>;
  /** Resolves once every task queued so far has settled. */
  idle(): Promise<void>;
}

export function serial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  const run = <T>(task: () => T | Promise<T>): Promise<T> => {
    const result = tail.then(task, task);
    tail = result.catch(() => undefined);
    return result;
  };
  return Object.assign(run, { idle: () => tail.then(() => undefined) });
}
