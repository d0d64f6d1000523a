import * as ipvs from '@sluice/ipvs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { SCHEDULERS, type Scheduler } from '../../src/model/schedulers.js';

describe('the model scheduler list', () => {
  it('is @sluice/ipvs SCHEDULERS, in the same order', () => {
    expect(SCHEDULERS).toEqual(ipvs.SCHEDULERS);
    expectTypeOf<Scheduler>().toEqualTypeOf<ipvs.Scheduler>();
  });
});
