import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { directorTopology, Lab } from '../src/index.js';

// A NAT-mode (masquerading) virtual service made with the real ipvsadm:
//
//   client 203.0.113.2 --- 203.0.113.1 director [VIP 203.0.113.10:80] 192.0.2.1 --- switch
//                                                                                   |- alpha_server 192.0.2.11:8080
//                                                                                   |- bravo_server 192.0.2.12:8080
// The real servers' default gateway is the director, as NAT mode requires.
describe('IPVS NAT service built with ipvsadm', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create();
    const { director, servers } = await directorTopology(lab, 'nat');
    for (const server of servers) await server.serveHttp({ name: `${server.label}_server`, port: 8080 });
    await director.exec('ipvsadm', ['-A', '-t', '203.0.113.10:80', '-s', 'rr']);
    await director.exec('ipvsadm', ['-a', '-t', '203.0.113.10:80', '-r', '192.0.2.11:8080', '-m']);
    await director.exec('ipvsadm', ['-a', '-t', '203.0.113.10:80', '-r', '192.0.2.12:8080', '-m']);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('lists the service and both masquerading destinations', async () => {
    const { stdout } = await lab.get('director').exec('ipvsadm', ['-Ln']);
    expect(stdout).toMatch(/TCP\s+203\.0\.113\.10:80 rr/);
    expect(stdout).toMatch(/-> 192\.0\.2\.11:8080\s+Masq\s+1/);
    expect(stdout).toMatch(/-> 192\.0\.2\.12:8080\s+Masq\s+1/);
  });

  it('sends a client to both real servers in turn through the VIP', async () => {
    const bodies = await lab.get('client').httpGet('http://203.0.113.10/', 4);
    expect(bodies).toHaveLength(4);
    expect(new Set(bodies)).toEqual(new Set(['alpha_server', 'bravo_server']));
    // Round robin: consecutive connections never land on the same server.
    for (let i = 1; i < bodies.length; i++) expect(bodies[i]).not.toBe(bodies[i - 1]);
  });

  it('counts the connections per destination', async () => {
    // The kernel folds its per-CPU counters into these every 2 s (the rate estimator): poll.
    await vi.waitFor(
      async () => {
        const { stdout } = await lab.get('director').exec('ipvsadm', ['-Ln', '--stats']);
        const conns = [...stdout.matchAll(/-> 192\.0\.2\.1[12]:8080\s+(\d+)/g)].map((m) => Number(m[1]));
        expect(conns).toEqual([2, 2]);
      },
      { timeout: 10_000, interval: 500 },
    );
  });

  it('isolates IPVS per namespace: the client sees an empty table', async () => {
    const { stdout } = await lab.get('client').exec('ipvsadm', ['-Ln']);
    expect(stdout).not.toMatch(/203\.0\.113\.10/);
  });
});
