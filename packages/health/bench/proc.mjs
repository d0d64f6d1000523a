// Helpers shared by the side-by-side benchmarks: CPU of process trees from /proc, and the
// check counts the listeners print.
import { readdirSync, readFileSync } from 'node:fs';

const ticks = 100; // USER_HZ on Linux

/**
 * utime and stime in seconds, summed over `pids`, and `runtime`: the time their threads
 * spent on a CPU, in seconds, from /proc/PID/task/TID/schedstat (what the kernel scales
 * utime + stime to; exact on the host, tick-grained in the 100 Hz test kernel, where both
 * charge the whole 10 ms tick to whatever runs when it comes).
 */
export function cpuOf(pids) {
  let user = 0;
  let system = 0;
  let runtime = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(fields[11]) / ticks;
      system += Number(fields[12]) / ticks;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        runtime += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
      }
    } catch {
      // gone
    }
  }
  return { user, system, runtime };
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

/** Checks the listeners have seen made to `address` (one of theirs), as of their last report. */
function acceptedSoFar(listeners, address) {
  const lines = listeners.log
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('FROM '));
  const last = lines.at(-1);
  if (!last) return 0;
  const counts = JSON.parse(last.slice(5));
  return counts[address] ?? counts[`::ffff:${address}`] ?? 0;
}

export function sample(listeners, pids, address) {
  return { cpu: cpuOf(pids), accepted: acceptedSoFar(listeners, address), at: performance.now() };
}

export function figures(name, before, after) {
  const elapsed = (after.at - before.at) / 1000;
  const user = after.cpu.user - before.cpu.user;
  const system = after.cpu.system - before.cpu.system;
  const ticked = user + system;
  const cpu = after.cpu.runtime - before.cpu.runtime;
  const checks = after.accepted - before.accepted;
  return {
    name,
    checksPerSecond: Math.round(checks / elapsed),
    /** From schedstat: time on a CPU. */
    cpuPercentOfOneCore: Number(((cpu / elapsed) * 100).toFixed(1)),
    cpuMicrosecondsPerCheck: Number(((cpu * 1e6) / checks).toFixed(1)),
    /** From utime + stime (sampled at ticks where the kernel counts by ticks), and their split. */
    tickedMicrosecondsPerCheck: Number(((ticked * 1e6) / checks).toFixed(1)),
    userMicrosecondsPerCheck: Number(((user * 1e6) / checks).toFixed(1)),
    systemMicrosecondsPerCheck: Number(((system * 1e6) / checks).toFixed(1)),
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for the listeners' next report, so that CPU is sampled within a few milliseconds
 * of the counts it is divided by (the reports come once a second).
 */
export async function nextReport(listeners) {
  const reports = () => listeners.log.split('\nFROM ').length;
  const seen = reports();
  while (reports() === seen) await sleep(5);
}
