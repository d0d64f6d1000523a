import { describe, expect, it } from 'vitest';
import {
  type DesiredService,
  formatPlan,
  IpvsError,
  plan,
  type ServiceWithDestinations,
  ZERO_STATS,
} from '../src/index.js';

function actualService(over: Partial<ServiceWithDestinations> = {}): ServiceWithDestinations {
  return {
    protocol: 'tcp',
    address: '192.0.2.10',
    port: 80,
    scheduler: 'wlc',
    family: 4,
    flags: 2,
    stats: ZERO_STATS,
    destinations: [
      {
        address: '198.51.100.1',
        port: 80,
        forwarding: 'dr',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
        family: 4,
        activeConnections: 0,
        inactiveConnections: 0,
        persistentConnections: 0,
        stats: ZERO_STATS,
      },
    ],
    ...over,
  } as ServiceWithDestinations;
}

const desired = (over: Partial<DesiredService> = {}): DesiredService =>
  ({
    protocol: 'tcp',
    address: '192.0.2.10',
    port: 80,
    destinations: [{ address: '198.51.100.1', port: 80 }],
    ...over,
  }) as DesiredService;

describe('plan', () => {
  it('is empty when the kernel already matches (defaults compare equal)', () => {
    const p = plan([desired()], [actualService()]);
    expect(p.items).toEqual([]);
    expect(formatPlan(p)).toBe('no changes');
  });

  it('adds a missing service and its real servers, service first', () => {
    const p = plan([desired({ scheduler: 'rr' })], []);
    expect(p.items.map((i) => i.operation.op)).toEqual(['add-service', 'add-destination']);
    expect(formatPlan(p)).toBe('+ TCP 192.0.2.10:80 rr\n+ tcp 192.0.2.10:80 -> 198.51.100.1:80 dr weight 1');
  });

  it('edits in place instead of delete-and-add, naming what changes', () => {
    const p = plan(
      [desired({ scheduler: 'rr', destinations: [{ address: '198.51.100.1', port: 80, weight: 0 }] })],
      [actualService()],
    );
    expect(p.items.map((i) => i.operation.op)).toEqual(['edit-service', 'edit-destination']);
    expect(p.items[0]?.changes).toEqual({ scheduler: ['wlc', 'rr'] });
    expect(p.items[1]?.changes).toEqual({ weight: [1, 0] });
    expect(formatPlan(p)).toContain('~ tcp 192.0.2.10:80 -> 198.51.100.1:80 (weight 1 -> 0)');
  });

  it('adds new real servers before removing old ones', () => {
    const p = plan([desired({ destinations: [{ address: '198.51.100.2', port: 80 }] })], [actualService()]);
    expect(p.items.map((i) => i.operation.op)).toEqual(['add-destination', 'delete-destination']);
  });

  it('leaves undeclared services alone unless it owns the whole table', () => {
    const other = actualService({ port: 443 } as Partial<ServiceWithDestinations>);
    expect(plan([desired()], [actualService(), other]).items).toEqual([]);
    const owning = plan([desired()], [actualService(), other], { owns: 'all' });
    expect(owning.items.map((i) => i.operation)).toEqual([
      { op: 'delete-service', service: { protocol: 'tcp', address: '192.0.2.10', port: 443 } },
    ]);
  });

  it('matches IPv6 addresses whatever their spelling', () => {
    const v6 = actualService({ address: '2001:db8::10', family: 6 } as Partial<ServiceWithDestinations>);
    (v6.destinations[0] as { address: string; family: number }).address = '2001:db8::1';
    (v6.destinations[0] as { address: string; family: number }).family = 6;
    const want = desired({ address: '2001:DB8:0:0::10', destinations: [{ address: '2001:db8:0::1', port: 80 }] });
    expect(plan([want], [v6]).items).toEqual([]);
  });

  it('sees persistence and tunnel defaults as the kernel reports them', () => {
    const have = actualService({
      persistence: { timeout: 300, netmask: 32 },
      flags: 3,
    } as Partial<ServiceWithDestinations>);
    const d = have.destinations[0] as { forwarding: string; tunnel?: unknown };
    d.forwarding = 'tun';
    d.tunnel = { type: 'ipip' };
    const want = desired({
      persistence: { timeout: 300 },
      destinations: [{ address: '198.51.100.1', port: 80, forwarding: 'tun' }],
    });
    expect(plan([want], [have]).items).toEqual([]);
  });

  it('validates everything before planning anything, with the field at fault', () => {
    const bad = [desired(), desired({ destinations: [{ address: '198.51.100.1', port: 8080 }] })];
    expect(() => plan(bad, [])).toThrow(IpvsError);
    try {
      plan(
        [
          desired({ port: 81, destinations: [{ address: '198.51.100.1', port: 81 }] }),
          desired({ port: 82, destinations: [{ address: '198.51.100.1', port: 8080 }] }),
        ],
        [],
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'IPVS_INVALID_FIELD', field: 'services[1].destinations[0].port' });
    }
    expect(() => plan([desired(), desired()], [])).toThrow(/declared twice/);
  });

  // The kernel lists real servers in its own order; small services are matched by scan,
  // large ones (more than 16) by map: both must pair by address and port, whatever the order.
  it.each([4, 40])('matches %i real servers in any order, and finds the one changed, added and removed', (n) => {
    const have = actualService();
    const template = have.destinations[0] as ServiceWithDestinations['destinations'][number];
    const addr = (k: number) => `198.51.100.${k + 1}`;
    have.destinations = Array.from({ length: n }, (_, k) => ({ ...template, address: addr(k) }));
    const order = Array.from({ length: n }, (_, k) => (k * 7 + 3) % n).filter((k, i, a) => a.indexOf(k) === i);
    for (let k = 0; k < n; k++) if (!order.includes(k)) order.push(k);
    const wanted = order.map((k) => ({ address: addr(k), port: 80, weight: k === 2 ? 5 : 1 }));
    const removed = wanted.splice(
      wanted.findIndex((d) => d.address === addr(1)),
      1,
    );
    wanted.push({ address: '203.0.113.9', port: 80, weight: 1 });
    const p = plan([desired({ destinations: wanted })], [have]);
    expect(
      p.items.map((i) => [i.operation.op, 'destination' in i.operation && i.operation.destination.address]),
    ).toEqual([
      ['add-destination', '203.0.113.9'],
      ['edit-destination', addr(2)],
      ['delete-destination', removed[0]?.address],
    ]);
    expect(p.items[1]?.changes).toEqual({ weight: [1, 5] });
    const reversed = [...have.destinations].reverse().map((d) => ({ address: d.address, port: 80 }));
    expect(plan([desired({ destinations: reversed })], [have]).items).toEqual([]);
  });

  it.each([2, 20])('refuses a real server declared twice among %i, naming the second', (n) => {
    const dests = Array.from({ length: n }, (_, k) => ({ address: `198.51.100.${k + 1}`, port: 80 }));
    dests[n - 1] = { address: '198.51.100.1', port: 80 };
    try {
      plan([desired({ destinations: dests })], []);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'IPVS_INVALID_FIELD',
        field: `services[0].destinations[${n - 1}]`,
        message: expect.stringMatching(/198\.51\.100\.1:80 is declared twice/),
      });
    }
  });
});
