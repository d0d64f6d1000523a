import { DEFAULT_TIMING, HeartbeatError, resolveNodeConfig, type Timing } from '@sluice/heartbeat';
import { describe, expect, it } from 'vitest';
import type { HeartbeatSection } from '../../src/ha/identity.js';
import { sectionTiming } from '../../src/ha/timing.js';
import { ANNOUNCEMENT_BOUNDS, TIMER_BOUNDS } from '../../src/model/heartbeat-timing.js';
import { heartbeatSchema } from '../../src/model/schema.js';
import { mulberry32 } from '../fuzz/random.js';

const written = {
  enabled: true,
  peer: { name: 'lb2', address: '192.0.2.2' },
  links: [{ interface: 'eth0' }],
  key: 'a pair key of sixteen or more',
};

/** A heartbeat section as the configuration stores it (defaults filled in). */
const section = (extra: Record<string, unknown> = {}): HeartbeatSection =>
  heartbeatSchema.parse({ ...written, ...extra });

/** The heartbeat package's own verdict on these timers: its resolved timing, or the field it refuses. */
function packageVerdict(timing: Partial<Timing>): { timing: Timing } | { field: string } {
  try {
    const config = resolveNodeConfig({
      nodeId: 'master',
      peerId: 'lb2',
      role: 'master',
      keys: [{ id: 1, secret: '00'.repeat(16) }],
      timing,
    });
    return { timing: config.timing };
  } catch (error) {
    if (!(error instanceof HeartbeatError)) throw error;
    return { field: String(error.field) };
  }
}

/** The package's name for each configuration field under `heartbeat`. */
const PACKAGE_NAME: Record<string, keyof Timing> = {
  'timing.keepaliveMs': 'keepaliveMs',
  'timing.warntimeMs': 'warntimeMs',
  'timing.deadtimeMs': 'deadtimeMs',
  'timing.initdeadMs': 'initdeadMs',
  'announcements.count': 'announceCount',
  'announcements.intervalMs': 'announceRepeatMs',
  'announcements.delayMs': 'announceDelayMs',
  'announcements.refreshMs': 'announceRefreshMs',
};

describe('the heartbeat section as the heartbeat package timing', () => {
  it('leaves out what the section leaves out: the package defaults, keepalive 50 ms and deadtime 150 ms', () => {
    expect(sectionTiming(section())).toEqual({});
    expect(packageVerdict(sectionTiming(section()))).toEqual({ timing: DEFAULT_TIMING });
    expect(DEFAULT_TIMING).toMatchObject({ keepaliveMs: 50, deadtimeMs: 150 });
  });

  it('takes the timers, the ones left out at their defaults', () => {
    const timing = sectionTiming(section({ timing: { deadtimeMs: 400, initdeadMs: 2000 } }));
    expect(timing).toEqual({ keepaliveMs: 50, warntimeMs: 100, deadtimeMs: 400, initdeadMs: 2000 });
    expect(packageVerdict(timing)).toEqual({ timing: { ...DEFAULT_TIMING, deadtimeMs: 400, initdeadMs: 2000 } });
  });

  it('maps the announcements to the package names', () => {
    const announcements = { count: 3, intervalMs: 500, delayMs: 0, refreshMs: 60_000 };
    expect(sectionTiming(section({ announcements }))).toEqual({
      announceCount: 3,
      announceRepeatMs: 500,
      announceDelayMs: 0,
      announceRefreshMs: 60_000,
    });
    // Left out inside the object: the package defaults, the same numbers.
    expect(packageVerdict(sectionTiming(section({ announcements: {} })))).toEqual({ timing: DEFAULT_TIMING });
  });

  it('has the package defaults in the model', () => {
    for (const [name, bounds] of Object.entries(TIMER_BOUNDS)) {
      expect(bounds.default, name).toBe(DEFAULT_TIMING[name as keyof Timing]);
    }
    for (const [name, bounds] of Object.entries(ANNOUNCEMENT_BOUNDS)) {
      expect(bounds.default, name).toBe(DEFAULT_TIMING[PACKAGE_NAME[`announcements.${name}`] as keyof Timing]);
    }
  });

  it('the schema takes exactly the timers the package takes, and refuses at the same field', () => {
    const random = mulberry32(19);
    const int = (n: number) => Math.floor(random() * n);
    // Values near every bound and near the other timers (ratios), so each rule is reached on both sides.
    const edges = [-1, 0, 1, 2, 49, 50, 99, 100, 101, 150, 999, 1000, 1001, 5000, 600_000, 600_001, 86_400_000];
    // Mostly a value near the others (valid or just not), sometimes an edge, so that a
    // configuration is often one fault away from valid and each rule decides on its own.
    const value = (near: number[]) => {
      if (random() < 0.2) return (edges[int(edges.length)] as number) + (int(3) - 1) + (random() < 0.1 ? 0.5 : 0);
      return (near[int(near.length)] as number) + (random() < 0.2 ? (random() < 0.5 ? -1 : 1) : 0);
    };
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      const keepaliveMs = value([50, 1, 300]);
      const timing = {
        keepaliveMs,
        warntimeMs: value([keepaliveMs, 2 * keepaliveMs]),
        deadtimeMs: value([2 * keepaliveMs, 3 * keepaliveMs]),
        initdeadMs: value([3 * keepaliveMs, 1000]),
      };
      const announcements = {
        count: value([5, 100]),
        intervalMs: value([1000]),
        delayMs: value([0]),
        refreshMs: value([0, 1000]),
      };
      // Each part sometimes left out, and a timer sometimes left out of its part.
      const extra: Record<string, unknown> = {};
      if (random() < 0.8) extra.timing = Object.fromEntries(Object.entries(timing).filter(() => random() < 0.8));
      if (random() < 0.3) extra.announcements = announcements;
      const parsed = heartbeatSchema.safeParse({ ...written, ...extra });
      const input: Partial<Timing> = {};
      for (const [part, name] of Object.entries(PACKAGE_NAME)) {
        const [group, field] = part.split('.') as [string, string];
        const given = (extra[group] as Record<string, number> | undefined)?.[field];
        if (given !== undefined) input[name] = given;
      }
      const verdict = packageVerdict(input);
      const label = JSON.stringify(extra);
      if (parsed.success) {
        accepted++;
        expect(verdict, label).toEqual({ timing: { ...DEFAULT_TIMING, ...sectionTiming(parsed.data) } });
      } else {
        refused++;
        expect('field' in verdict, label).toBe(true);
        const fields = parsed.error.issues.map((issue) => PACKAGE_NAME[issue.path.join('.')]);
        expect(fields, label).toContain(String((verdict as { field: string }).field).replace(/^timing\./, ''));
      }
    }
    // Both sides were reached, or the test could not fail.
    expect(accepted).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });
});
