import type { CheckDefinition } from './checks.js';
import type { CheckExecutor } from './executor.js';
import { NetworkExecutor } from './executors/index.js';
import { checkPort } from './ports.js';
import { type CheckResult, classifyError, timedOut } from './result.js';
import { validateCheck, validateTarget } from './validate.js';

export interface RunCheckOptions {
  address: string;
  port?: number;
  virtual?: { address: string; port?: number };
  timeoutMs?: number;
  executor?: CheckExecutor;
}

/**
 * Runs one check once, outside any scheduler (for a CLI, an API "test now" button, a
 * test). Never rejects for a server's fault: failures are results. The check and address
 * are validated first.
 */
export async function runCheck(
  check: CheckDefinition,
  options: RunCheckOptions,
): Promise<CheckResult & { latencyMs: number }> {
  const target = validateTarget({
    id: 'run-check',
    address: options.address,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.virtual === undefined ? {} : { virtual: options.virtual }),
    check: validateCheck(check),
    ...(options.timeoutMs === undefined
      ? {}
      : { timeoutMs: options.timeoutMs, intervalMs: Math.max(10, options.timeoutMs) }),
  });
  const own = options.executor ? undefined : new NetworkExecutor();
  const executor = options.executor ?? (own as NetworkExecutor);
  const controller = new AbortController();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(timedOut(target.timeoutMs));
    }, target.timeoutMs);
  });
  try {
    const result = await Promise.race([
      executor
        .run(
          {
            check: target.schedule[0]?.check as CheckDefinition,
            address: target.address,
            port: checkPort(target.schedule[0]?.check as CheckDefinition, target.port),
            realPort: target.port,
            virtual: target.virtual,
            timeoutMs: target.timeoutMs,
          },
          controller.signal,
        )
        .catch((error: unknown) => classifyError(error)),
      timeout,
    ]);
    return { ...result, latencyMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
    controller.abort();
    await own?.close();
  }
}
