import { parseStat } from '@sluice/haproxy-config';
import { describe, expect, it } from 'vitest';
import { describeModelChanges, differsInWeightsOnly } from './changes.js';
import { planRuntime } from './states.js';
import { effectiveWeightOf, healthOf, layer7StatRows, observationsFrom } from './stats.js';

const HEADER = '# pxname,svname,scur,stot,bin,bout,status,weight,type,check_status,check_code,last_chk,check_desc';

function rows(...lines: string[]) {
  return parseStat([HEADER, ...lines].join('\n'));
}

function row(status: string, check = '', code = '', lastChk = '', weight = 4) {
  return rows(`web,alpha,3,30,1000,2000,${status},${weight},2,${check},${code},${lastChk},`)[0] as ReturnType<
    typeof rows
  >[number];
}

describe('healthOf', () => {
  it('reads HAProxy check states as the appliance health states', () => {
    expect(healthOf(row('UP', 'L4OK'), true)).toEqual({ health: 'up' });
    expect(healthOf(row('UP 1/3', 'L4CON', '', 'Connection refused'), true)).toEqual({ health: 'up' });
    expect(healthOf(row('NOLB', 'L7OK'), true)).toEqual({ health: 'up' });
    expect(healthOf(row('DOWN', 'L4CON', '', 'Connection refused'), true)).toEqual({
      health: 'down',
      reason: 'refused',
    });
    expect(healthOf(row('DOWN 1/2', 'L4TOUT'), true)).toEqual({ health: 'down', reason: 'timeout' });
    expect(healthOf(row('DOWN', 'L7STS', '503', 'HTTP status check returned code <3C>503<3E>'), true)).toEqual({
      health: 'down',
      reason: 'status 503',
    });
    expect(healthOf(row('DOWN', 'L4CON', '', 'No route to host'), true)).toEqual({
      health: 'down',
      reason: 'no route to host',
    });
    expect(healthOf(row('DOWN', 'SOCKERR', '', 'General socket error'), true)).toEqual({
      health: 'down',
      reason: 'General socket error',
    });
  });

  it('in maintenance or drain the last check decides; an unchecked server is unchecked', () => {
    expect(healthOf(row('MAINT', '* L4OK'), true)).toEqual({ health: 'up' });
    expect(healthOf(row('DRAIN', 'L4TOUT'), true)).toEqual({ health: 'down', reason: 'timeout' });
    expect(healthOf(row('MAINT', 'INI'), true)).toEqual({ health: 'unknown' });
    expect(healthOf(row('MAINT', ''), true)).toEqual({ health: 'unknown' });
    expect(healthOf(row('no check'), false)).toEqual({ health: 'unchecked' });
    expect(healthOf(row('MAINT'), false)).toEqual({ health: 'unchecked' });
  });
});

describe('effectiveWeightOf', () => {
  it('is 0 while in maintenance, draining or down, else the weight HAProxy uses', () => {
    expect(effectiveWeightOf(row('UP', 'L4OK', '', '', 4))).toBe(4);
    expect(effectiveWeightOf(row('no check', '', '', '', 2))).toBe(2);
    for (const status of ['MAINT', 'DRAIN', 'DOWN', 'DOWN 1/2', 'NOLB', 'MAINT (via web/alpha)']) {
      expect(effectiveWeightOf(row(status))).toBe(0);
    }
  });
});

describe('observationsFrom', () => {
  it('keys configured servers layer7/<service>/<server> and leaves the rest out', () => {
    const stat = rows(
      'web,FRONTEND,5,50,10,20,OPEN,,0,,,,',
      'web,alpha,3,30,1000,2000,UP,4,2,L4OK,,,',
      'web,sluice:fallback,0,0,0,0,no check,1,2,,,,',
      'web,BACKEND,3,30,1000,2000,UP,4,1,,,,',
    );
    const observed = observationsFrom(stat, [
      { service: 'web', server: 'alpha', weight: 4, checked: true },
      { service: 'web', server: 'gone', weight: 1, checked: false },
    ]);
    expect([...observed]).toEqual([
      [
        'layer7/web/alpha',
        {
          activeConnections: 3,
          inactiveConnections: 0,
          bytesIn: 1000,
          bytesOut: 2000,
          health: 'up',
          effectiveWeight: 4,
        },
      ],
    ]);
    expect(layer7StatRows(stat).map((r) => `${r.proxy}/${r.server}`)).toEqual([
      'web/FRONTEND',
      'web/alpha',
      'web/sluice:fallback',
      'web/BACKEND',
    ]);
  });
});

describe('planRuntime', () => {
  const state = (server: string, adminState: 'ready' | 'drain' | 'maint', userWeight: number) => ({
    backendId: 1,
    backend: 'web',
    serverId: 1,
    server,
    address: '198.51.100.1',
    port: 80,
    operationalState: 2,
    adminState,
    adminStateBits: 0,
    userWeight,
    initialWeight: userWeight,
    raw: {},
  });

  it('maintenance first, weights, then out of maintenance; unknown servers left out', () => {
    const entries = [
      { service: 'web', server: 'a', weight: 2, checked: false },
      { service: 'web', server: 'b', weight: 3, checked: false },
      { service: 'web', server: 'new', weight: 1, checked: false },
    ];
    const admin = { a: 'offline', b: 'online', new: 'offline' } as const;
    const actions = planRuntime(
      entries,
      [state('a', 'ready', 1), state('b', 'maint', 1)],
      (e) => admin[e.server as 'a'],
    );
    expect(actions).toEqual([
      { kind: 'state', service: 'web', server: 'a', from: 'ready', to: 'maint', admin: 'offline' },
      { kind: 'weight', service: 'web', server: 'a', from: 1, to: 2 },
      { kind: 'weight', service: 'web', server: 'b', from: 1, to: 3 },
      { kind: 'state', service: 'web', server: 'b', from: 'maint', to: 'ready', admin: 'online' },
    ]);
    // Already as asked: nothing to do.
    const settled = [state('a', 'maint', 2), state('b', 'ready', 3)];
    expect(planRuntime(entries, settled, (e) => admin[e.server as 'a'])).toEqual([]);
  });

  it('drain', () => {
    const actions = planRuntime(
      [{ service: 'web', server: 'a', weight: 1, checked: false }],
      [state('a', 'ready', 1)],
      () => 'drain',
    );
    expect(actions).toEqual([
      { kind: 'state', service: 'web', server: 'a', from: 'ready', to: 'drain', admin: 'drain' },
    ]);
  });
});

describe('differsInWeightsOnly', () => {
  const text = (w: number, extra = '') =>
    `backend web\n    mode http\n    server a 198.51.100.1:80 weight ${w} check${extra}\n    server b 198.51.100.2:80 weight 1 check\n`;

  it('tells a weight change from any other', () => {
    expect(differsInWeightsOnly(text(1), text(5))).toBe(true);
    expect(differsInWeightsOnly(text(1), text(1))).toBe(false);
    expect(differsInWeightsOnly(text(1), text(5, ' backup'))).toBe(false);
    expect(differsInWeightsOnly(text(1), `${text(5)}    server c 198.51.100.3:80 weight 1\n`)).toBe(false);
  });
});

describe('describeModelChanges', () => {
  it('names services, SSL terminations and real servers added, changed and removed', () => {
    const before = {
      frontends: [
        { name: 'web', binds: [{ address: '192.0.2.1', ports: [80] }], defaultBackend: 'web' },
        { name: 'old', binds: [{ address: '2001:db8::1', ports: [80] }], defaultBackend: 'old' },
      ],
      backends: [
        {
          name: 'web',
          servers: [
            { name: 'a', address: '198.51.100.1', port: 80 },
            { name: 'b', address: '198.51.100.2', port: 80 },
          ],
        },
        { name: 'old', servers: [] },
      ],
    };
    const after = {
      frontends: [
        { name: 'web', binds: [{ address: '192.0.2.1', ports: [80, 81] }], defaultBackend: 'web' },
        {
          name: 'tls',
          mode: 'http' as const,
          binds: [{ address: '192.0.2.1', ports: [443], tls: { certificates: ['/c.pem'] } }],
          defaultBackend: 'web',
        },
      ],
      backends: [
        {
          name: 'web',
          servers: [
            { name: 'a', address: '198.51.100.1', port: 8080 },
            { name: 'c', address: '198.51.100.3' },
          ],
        },
      ],
    };
    expect(describeModelChanges(before, after)).toEqual([
      'layer7: change service web (192.0.2.1:80,81 http -> web)',
      'layer7: add SSL termination tls (192.0.2.1:443 http -> web)',
      'layer7: remove service old',
      'layer7: change real server web/a (198.51.100.1:8080)',
      'layer7: add real server web/c (198.51.100.3)',
      'layer7: remove real server web/b',
    ]);
  });
});
