import { describe, expect, it } from 'vitest';
import { HeartbeatError } from '../src/errors.js';
import { ResourceGroup } from '../src/resources.js';
import { FakeResource } from './support/fakes.js';

function group(journal: string[]) {
  const rs = ['vip', 'ipvs', 'haproxy'].map((n) => new FakeResource(n, journal));
  return { rs, group: new ResourceGroup(rs) };
}

describe('ResourceGroup', () => {
  it('acquires in order, releases in reverse', async () => {
    const journal: string[] = [];
    const { group: g } = group(journal);
    await g.acquire();
    await g.release();
    expect(journal).toEqual([
      'vip:acquire',
      'ipvs:acquire',
      'haproxy:acquire',
      'haproxy:release',
      'ipvs:release',
      'vip:release',
    ]);
  });

  it('rolls back what it acquired when one fails, and names the failed resource', async () => {
    const journal: string[] = [];
    const { rs, group: g } = group(journal);
    if (rs[2]) rs[2].failAcquire = 1;
    const error = await g.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeartbeatError);
    expect(error).toMatchObject({ code: 'HEARTBEAT_RESOURCE_FAILED', field: 'haproxy' });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(journal).toEqual(['vip:acquire', 'ipvs:acquire', 'haproxy:acquire-failed', 'ipvs:release', 'vip:release']);
  });

  it('goes on releasing past a failure and reports it', async () => {
    const journal: string[] = [];
    const { rs, group: g } = group(journal);
    if (rs[1]) rs[1].failRelease = true;
    const report = await g.release();
    expect(journal).toEqual(['haproxy:release', 'ipvs:release', 'vip:release']);
    expect(report.failures.map((f) => f.resource)).toEqual(['ipvs']);
  });

  it('refuses duplicate or empty names', () => {
    const j: string[] = [];
    expect(() => new ResourceGroup([new FakeResource('a', j), new FakeResource('a', j)])).toThrow(
      expect.objectContaining({ code: 'HEARTBEAT_INVALID_CONFIG', field: 'resources[1].name' }),
    );
  });
});
