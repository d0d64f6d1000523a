import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from '@sluice/haproxy-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecmpConfig, type Mutable } from '../../../test/fixtures/ecmp-config.js';
import { type ApplianceConfig, configSchema } from '../../model/schema.js';
import { layer7Model } from './model.js';
import { renderLayer7 } from './render.js';
import { serverIdsByLabel } from './server-ids.js';

const OPTIONS = { adminSocket: '/run/sluice/admin.sock', serverStateFile: '/var/lib/sluice/server-state' };

const realServers = [
  { label: 'alpha', address: '198.51.100.11', port: 8080 },
  { label: 'bravo', address: '198.51.100.12', port: 8080, weight: 3 },
  { label: 'charlie', address: '198.51.100.13', port: 8080 },
];

function service(persistence: Mutable, extra: Mutable = {}): Mutable {
  return { label: 'web', vip: '203.0.113.20', ports: [80], realServers, persistence, ...extra };
}

const rdp = (extra: Mutable = {}) =>
  service({ type: 'rdp-cookie' }, { label: 'desktops', mode: 'tcp', ports: [3389], ...extra });

/** The ECMP fixture (three nodes, one Layer 4 service) with these Layer 7 services. */
function ecmp(...layer7: Mutable[]): ApplianceConfig {
  return configSchema.parse({ ...ecmpConfig(), layer7 });
}

/** The same services in a pair (no cluster section). */
function pair(...layer7: Mutable[]): ApplianceConfig {
  return configSchema.parse({ layer7 });
}

const backendText = (config: ApplianceConfig, name = 'web') =>
  renderLayer7(config, OPTIONS).text.split(`\nbackend ${name}\n`)[1]?.split('\n\n')[0] ?? '';

const serverLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim().startsWith('server '))
    .map((l) => l.trim());

describe('Layer 7 persistence in an ECMP cluster: every node picks the same real server', () => {
  it('hashes the client address consistently for source-IP persistence, with no stick table', () => {
    const text = backendText(ecmp(service({ type: 'source-ip' })));
    expect(text).toContain('    balance source\n    hash-type consistent\n');
    expect(text).not.toContain('stick');
    expect(text).not.toContain('roundrobin');
  });

  it('hashes the RDP cookie consistently for RDP-cookie persistence, with no stick table', () => {
    const text = backendText(ecmp(rdp()), 'desktops');
    expect(text).toContain('    balance rdp-cookie(mstshash)\n    hash-type consistent\n');
    expect(text).toContain('tcp-request content accept if RDP_COOKIE');
    expect(text).not.toContain('stick');
  });

  it('gives the hashed servers ids from their labels, whatever their place in the list', () => {
    const forward = ecmp(service({ type: 'source-ip' }));
    const reversed = ecmp(service({ type: 'source-ip' }, { realServers: [...realServers].reverse() }));
    const ids = serverIdsByLabel(realServers.map((rs) => rs.label));
    expect(layer7Model(forward, OPTIONS).model.backends[0]?.servers.map((s) => [s.name, s.id])).toEqual(
      realServers.map((rs) => [rs.label, ids.get(rs.label)]),
    );
    expect(new Set(ids.values()).size).toBe(3);
    expect(serverLines(backendText(reversed)).sort()).toEqual(serverLines(backendText(forward)).sort());
    for (const line of serverLines(backendText(forward))) expect(line).toMatch(/^server \S+ \S+ id \d+ /);
  });

  it('keeps the other servers ids when one is removed from the middle', () => {
    const all = serverLines(backendText(ecmp(service({ type: 'source-ip' }))));
    const without = serverLines(
      backendText(ecmp(service({ type: 'source-ip' }, { realServers: [realServers[0], realServers[2]] }))),
    );
    expect(without).toEqual(all.filter((l) => !l.startsWith('server bravo ')));
  });

  it('keeps cookie persistence as it is: the cookie names the server by its label', () => {
    for (const persistence of [{ type: 'cookie-insert' }, { type: 'passive-cookie', cookieName: 'PHPSESSID' }]) {
      const cluster = layer7Model(ecmp(service(persistence)), OPTIONS).model;
      expect(cluster).toEqual(layer7Model(pair(service(persistence)), OPTIONS).model);
      const text = backendText(ecmp(service(persistence, { realServers: [...realServers].reverse() })));
      expect(text).toContain('    balance roundrobin\n');
      expect(text).not.toContain('hash-type');
      for (const rs of realServers) expect(text).toMatch(new RegExp(`server ${rs.label} \\S+ .*cookie ${rs.label}\\b`));
    }
  });

  it('leaves a pair as it was: stick tables, round robin, ids in list order', () => {
    const source = backendText(pair(service({ type: 'source-ip' })));
    expect(source).toContain('balance roundrobin');
    expect(source).toContain('stick on src');
    expect(source).not.toContain('hash-type');
    expect(source).not.toMatch(/ id \d+/);
    const desktops = backendText(pair(rdp()), 'desktops');
    expect(desktops).toContain('stick on req.rdp_cookie(mstshash)');
    expect(desktops).not.toContain('hash-type');
  });

  it('leaves services without persistence on round robin without ids', () => {
    const text = backendText(ecmp(service({ type: 'none' })));
    expect(text).toContain('balance roundrobin');
    expect(text).not.toContain('hash-type');
    expect(text).not.toMatch(/ id \d+/);
  });

  it('says that a persistence timeout does not apply to a hash', () => {
    const { notes } = layer7Model(ecmp(service({ type: 'source-ip', timeoutSeconds: 300 })), OPTIONS);
    expect(notes).toEqual([
      'layer7[0]: in an ECMP cluster source-ip persistence is a consistent hash that every node computes alike, not a table: timeoutSeconds does not apply',
    ]);
    expect(layer7Model(ecmp(service({ type: 'source-ip' })), OPTIONS).notes).toEqual([]);
  });

  describe('with the real haproxy', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sluice-l7-ecmp-'));
      // The driver keeps this file across reloads; HAProxy warns when it is missing.
      await writeFile(join(dir, 'server-state'), '1\n');
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('accepts the rendering, fallback server included, without a warning', async () => {
      const config = ecmp(
        service({ type: 'source-ip' }, { fallback: { address: '198.51.100.99', port: 8080 } }),
        rdp(),
        service({ type: 'cookie-insert' }, { label: 'shop', vip: '203.0.113.21' }),
      );
      const { text } = renderLayer7(config, {
        adminSocket: join(dir, 'admin.sock'),
        serverStateFile: join(dir, 'server-state'),
      });
      expect(text).toContain('sluice:fallback');
      const result = await validate(text);
      expect(result.diagnostics).toEqual([]);
      expect(result.valid).toBe(true);
    });
  });
});
