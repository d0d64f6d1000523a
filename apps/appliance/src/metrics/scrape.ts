import { release } from 'node:os';
import type { Capability } from '../model/capability.js';
import { IpvsTotals } from './ipvs-metrics.js';
import { watchEventLoop } from './process-metrics.js';
import type { BuildInfo } from './prometheus.js';

/** Per engine, what one scrape leaves for the next (the IPVS totals' memory). */
const totalsByEngine = new WeakMap<object, IpvsTotals>();

/** The IPVS totals kept for `engine`'s scrapes; the first call also starts the event loop's watch. */
export function scrapeTotals(engine: object): IpvsTotals {
  let totals = totalsByEngine.get(engine);
  if (totals === undefined) {
    watchEventLoop();
    totals = new IpvsTotals();
    totalsByEngine.set(engine, totals);
  }
  return totals;
}

export function buildInfo(version: string, capabilities: readonly Capability[]): BuildInfo {
  const haproxy = capabilities.find((c) => c.id === 'haproxy');
  return {
    version,
    node: process.versions.node,
    haproxy: haproxy?.available ? haproxy.detail.replace(/^HAProxy\s+/, '') : '',
    kernel: release(),
  };
}
