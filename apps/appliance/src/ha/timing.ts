import type { Timing } from '@sluice/heartbeat';
import type { HeartbeatSection } from './identity.js';

/**
 * The heartbeat section's timers and announcements as the heartbeat package's `Timing`.
 * What the section leaves out is left out here too, so the package's defaults apply
 * (keepalive 50 ms, deadtime 150 ms): the heartbeat runs on a loop of its own, which a
 * large commit on the daemon's cannot hold. Both nodes read the same replicated section,
 * so both run the same timers.
 */
export function sectionTiming(section: HeartbeatSection): Partial<Timing> {
  const timing: Partial<Timing> = { ...section.timing };
  const a = section.announcements;
  if (a !== undefined) {
    timing.announceCount = a.count;
    timing.announceRepeatMs = a.intervalMs;
    timing.announceDelayMs = a.delayMs;
    timing.announceRefreshMs = a.refreshMs;
  }
  return timing;
}
