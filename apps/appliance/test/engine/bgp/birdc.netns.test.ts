/**
 * The control-socket client and the process wrapper against a real BIRD 2: two namespaces
 * on a veth, each running `bird` with a configuration from the renderer, one BGP session
 * between them. Paths (-c, -s, -P) live in a temporary directory removed at the end.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BgpVip, renderBirdConfig } from '../../../src/engine/bgp/bird-config.js';
import { BirdProcess, birdBinary } from '../../../src/engine/bgp/bird-process.js';
import { ApplianceError } from '../../../src/errors.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('BIRD 2 driven through its control socket (real bird in namespaces)', () => {
  let lab: Lab;
  let dir: string;
  let left: Host;
  let right: Host;
  const birds: BirdProcess[] = [];
  const conf = (name: string) => join(dir, `${name}.conf`);

  const writeLeft = (vips: BgpVip[]) =>
    writeFileSync(
      conf('left'),
      renderBirdConfig({
        routerId: '192.0.2.1',
        localAsn: 64497,
        logFile: join(dir, 'left.log'),
        peers: [{ address: '192.0.2.2', asn: 64496, password: 'pa ss;}word', holdTimeSeconds: 9 }],
        vips,
      }),
    );

  const start = async (host: Host, name: string) => {
    const bird = await BirdProcess.start({
      netns: host.netns,
      configFile: conf(name),
      socketPath: join(dir, `${name}.ctl`),
      pidFile: join(dir, `${name}.pid`),
    });
    birds.push(bird);
    return bird;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-bird-'));
    lab = await Lab.create();
    left = await lab.host('left');
    right = await lab.host('right');
    await lab.link(left, right, { aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.2/24'] });
    writeFileSync(
      conf('right'),
      renderBirdConfig({
        routerId: '192.0.2.2',
        localAsn: 64496,
        peers: [{ address: '192.0.2.1', asn: 64497, password: 'pa ss;}word', holdTimeSeconds: 9 }],
        vips: [],
      }),
    );
  });

  afterAll(async () => {
    for (const bird of birds) await bird.stop();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, reports the session, exports announced and draining VIPs, reconfigures without a reset, stops on SIGTERM', async () => {
    writeLeft([
      { address: '203.0.113.10', state: 'announced' },
      { address: '203.0.113.11', state: 'draining' },
    ]);
    const a = await start(left, 'left');
    await start(right, 'right');
    expect(Number(readFileSync(join(dir, 'left.pid'), 'utf8'))).toBe(a.pid);

    const established = await until('the session established', async () => {
      const [session] = await a.control.bgpSessions();
      return session?.bgpState === 'Established' ? session : undefined;
    });
    expect(established).toMatchObject({ name: 'peer1', protocol: 'BGP', state: 'up' });
    expect(established.since).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);

    const routes = await until('both VIPs exported', async () => {
      const r = await a.control.exportedRoutes('peer1', 'ipv4');
      // BIRD lists a table in its hash order.
      return r.length === 2 ? r.sort((x, y) => x.prefix.localeCompare(y.prefix)) : undefined;
    });
    expect(routes).toEqual([
      { prefix: '203.0.113.10/32', communities: [] },
      { prefix: '203.0.113.11/32', communities: ['65535:0'] },
    ]);

    writeLeft([
      { address: '203.0.113.10', state: 'draining' },
      { address: '203.0.113.11', state: 'withdrawn' },
    ]);
    await a.control.configure();
    const after = await until('the new export', async () => {
      const r = await a.control.exportedRoutes('peer1', 'ipv4');
      return r.length === 1 ? r : undefined;
    });
    expect(after).toEqual([{ prefix: '203.0.113.10/32', communities: ['65535:0'] }]);
    const [session] = await a.control.bgpSessions();
    expect(session).toMatchObject({ bgpState: 'Established', since: established.since });

    // A file BIRD cannot read is refused at the check: the running configuration stays.
    writeFileSync(conf('left'), 'protocol bgp {\n');
    const refused = await a.control.configure().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ApplianceError);
    expect((refused as ApplianceError).code).toBe('BGP_CONTROL_FAILED');
    expect((refused as ApplianceError).message).toMatch(/left\.conf:\d+:\d+ syntax error/);
    expect(await a.control.exportedRoutes('peer1', 'ipv4')).toEqual(after);

    await a.stop();
    expect(a.running).toBe(false);
    const error = await a.control.request('show status').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as ApplianceError).code).toBe('BGP_CONTROL_FAILED');
  });

  it('refuses to start a bird with a broken file, with its message, and to start without the program', async () => {
    writeFileSync(conf('broken'), 'router id 192.0.2.9;\nprotocol nonsense {}\n');
    const broken = await start(left, 'broken').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((broken as ApplianceError).code).toBe('BGP_UNAVAILABLE');
    expect((broken as ApplianceError).message).toMatch(/broken\.conf:2/);

    expect(() => birdBinary('/nonexistent', [])).toThrow(/install the Debian package bird2/);
    expect(birdBinary()).toMatch(/\/bird$/);
  });
});
