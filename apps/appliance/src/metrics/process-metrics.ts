/**
 * The daemon's own process under the names prom-client's default metrics use, so the
 * usual Node.js dashboards work; rendered here rather than by adding prom-client, whose
 * registry and collectors would sit beside an exposition the appliance writes itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Exposition } from './exposition.js';

let delay: ReturnType<typeof monitorEventLoopDelay> | undefined;

/** Starts measuring the event loop's delay (once; the first scrape then shows what followed). */
export function watchEventLoop(): void {
  if (delay !== undefined) return;
  delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
}

/** Open descriptors: the entries of /proc/self/fd less the one the listing itself opened. */
function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export function renderProcess(out: Exposition, now: number = Date.now()): void {
  const cpu = process.cpuUsage();
  out.add('process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', {}, cpu.user / 1e6);
  out.add(
    'process_cpu_system_seconds_total',
    'counter',
    'Total system CPU time spent in seconds.',
    {},
    cpu.system / 1e6,
  );
  out.add(
    'process_cpu_seconds_total',
    'counter',
    'Total user and system CPU time spent in seconds.',
    {},
    (cpu.user + cpu.system) / 1e6,
  );
  out.add(
    'process_start_time_seconds',
    'gauge',
    'Start time of the process since unix epoch in seconds.',
    {},
    Math.round(now / 1000 - process.uptime()),
  );
  const memory = process.memoryUsage();
  out.add('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', {}, memory.rss);
  const fds = openFds();
  if (fds !== undefined) out.add('process_open_fds', 'gauge', 'Number of open file descriptors.', {}, fds);
  const max = maxFds();
  if (max !== undefined) out.add('process_max_fds', 'gauge', 'Maximum number of open file descriptors.', {}, max);
  out.add('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', {}, memory.heapTotal);
  out.add('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', {}, memory.heapUsed);
  out.add('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', {}, memory.external);
  if (delay !== undefined && delay.count > 0) {
    const seconds = (ns: number) => ns / 1e9;
    const lag: [string, string, number][] = [
      ['nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.', delay.min],
      ['nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.', delay.max],
      ['nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.', delay.mean],
      [
        'nodejs_eventloop_lag_stddev_seconds',
        'The standard deviation of the recorded event loop delays.',
        delay.stddev,
      ],
      [
        'nodejs_eventloop_lag_p50_seconds',
        'The 50th percentile of the recorded event loop delays.',
        delay.percentile(50),
      ],
      [
        'nodejs_eventloop_lag_p90_seconds',
        'The 90th percentile of the recorded event loop delays.',
        delay.percentile(90),
      ],
      [
        'nodejs_eventloop_lag_p99_seconds',
        'The 99th percentile of the recorded event loop delays.',
        delay.percentile(99),
      ],
    ];
    for (const [name, help, ns] of lag) out.add(name, 'gauge', help, {}, seconds(ns));
    // As prom-client: each scrape shows the delays since the one before.
    delay.reset();
  }
  const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
  out.add(
    'nodejs_version_info',
    'gauge',
    'Node.js version info.',
    { version: process.version, major, minor, patch },
    1,
  );
}
