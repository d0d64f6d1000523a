// Helpers shared by the side-by-side benchmarks: CPU of process trees from /proc, and the
// check counts the listeners print.
import { readFileSync } from 'node:fs';

const ticks = 100; // USER_HZ on Linux

/** utime + stime in seconds, summed over `pids`. */
export function cpuOf(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // gone
    }
  }
  return total;
}

/** `root` and every process below it. */
export function descendants(root) {
  const all = [root];
  for (let i = 0; i < all.length; i++) {
    try {
      const children = readFileSync(`/proc/${all[i]}/task/${all[i]}/children`, 'utf8').trim();
      if (children) all.push(...children.split(' ').map(Number));
    } catch {
      // gone
    }
  }
  return all;
}

function acceptedSoFar(listeners) {
  const lines = listeners.log
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('ACCEPTED '));
  return Number(lines.at(-1)?.slice(9) ?? 0);
}

export function sample(listeners, pids) {
  return { cpu: cpuOf(pids), accepted: acceptedSoFar(listeners), at: performance.now() };
}

export function figures(name, before, after) {
  const elapsed = (after.at - before.at) / 1000;
  const cpu = after.cpu - before.cpu;
  const checks = after.accepted - before.accepted;
  return {
    name,
    checksPerSecond: Math.round(checks / elapsed),
    cpuPercentOfOneCore: Number(((cpu / elapsed) * 100).toFixed(1)),
    cpuMicrosecondsPerCheck: Number(((cpu * 1e6) / checks).toFixed(1)),
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
