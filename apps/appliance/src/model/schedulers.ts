/**
 * Every IPVS scheduler, the same list as @sluice/ipvs's SCHEDULERS (test/model/schedulers.test.ts
 * holds them equal). Written out here because the model is also the web UI's, where the
 * netlink client cannot go. Which ones a kernel has is @sluice/ipvs's `capabilities()`.
 */
export const SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
] as const;
export type Scheduler = (typeof SCHEDULERS)[number];
