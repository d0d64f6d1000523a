import { describe, expect, it } from 'vitest';
import { type CheckExecutor, type CheckRequest, HealthError, runCheck } from '../src/index.js';

describe('runCheck', () => {
  it('hands the executor the effective port and addresses', async () => {
    const seen: CheckRequest[] = [];
    const executor: CheckExecutor = {
      run: async (request) => {
        seen.push(request);
        return { ok: true };
      },
    };
    const result = await runCheck({ type: 'negotiate', scheme: 'https' }, { address: '2001:db8::5', executor });
    expect(result.ok).toBe(true);
    expect(seen[0]).toMatchObject({ address: '2001:db8::5', port: 443, realPort: undefined, virtual: undefined });
  });

  it('reports timeout and aborts a check that never answers', async () => {
    let signal: AbortSignal | undefined;
    const executor: CheckExecutor = {
      run: (_request, s) => {
        signal = s;
        return new Promise(() => {});
      },
    };
    const result = await runCheck({ type: 'connect' }, { address: '192.0.2.1', port: 80, timeoutMs: 20, executor });
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(signal?.aborted).toBe(true);
  });

  it('turns a rejection into a failure reason', async () => {
    const executor: CheckExecutor = {
      run: async () => {
        throw Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' });
      },
    };
    expect(await runCheck({ type: 'connect' }, { address: '192.0.2.1', port: 80, executor })).toMatchObject({
      ok: false,
      reason: 'reset',
    });
  });

  it('validates before running', async () => {
    await expect(runCheck({ type: 'connect' }, { address: 'nope', port: 80 })).rejects.toBeInstanceOf(HealthError);
    await expect(runCheck({ type: 'connect' }, { address: '192.0.2.1' })).rejects.toMatchObject({
      code: 'HEALTH_INVALID_TARGET',
    });
  });
});
