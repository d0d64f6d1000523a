import { describe, expect, it } from 'vitest';
import { HealthError, Pinger } from '../src/index.js';

describe('Pinger', () => {
  it('reports a socket that cannot open to every ping, and tries again on the next', async () => {
    let attempts = 0;
    const pinger = new Pinger(async () => {
      attempts++;
      throw new HealthError('HEALTH_CHECK_FAILED_TO_START', 'no ping sockets here');
    });
    const signal = new AbortController().signal;
    await expect(pinger.ping('192.0.2.1', signal)).rejects.toMatchObject({ code: 'HEALTH_CHECK_FAILED_TO_START' });
    await expect(pinger.ping('192.0.2.1', signal)).rejects.toBeInstanceOf(HealthError);
    expect(attempts).toBe(2);
    await pinger.close();
  });
});
