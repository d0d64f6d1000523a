/**
 * Keeps docs/cluster.md honest: its configuration is one the API accepts as an ECMP cluster
 * and renders as the guide says (mh with mh-fallback and mh-port, cookie values that are the
 * real servers' labels); its defaults are the schema's; its router blocks are ones that
 * `bird -p` and FRR's `vtysh --dryrun` parse; and both router blocks peer with the nodes, ASNs and password of the
 * configuration.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceSpecs } from '../../src/engine/layer4/desired.js';
import { renderLayer7 } from '../../src/engine/layer7/render.js';
import { type ApplianceConfig, clusterMode, configSchema } from '../../src/model/schema.js';
import { validateConfig } from '../../src/model/validate.js';
import { readGuide } from './guide.js';

const run = promisify(execFile);
const { text, marked } = await readGuide('cluster.md');

/** The guide's configuration, validated as the API validates a PUT. */
function guideConfig(): ApplianceConfig {
  const result = validateConfig(JSON.parse(marked('config')));
  expect(result.errors.map((e) => `${e.code} ${e.field}: ${e.message}`)).toEqual([]);
  if (!result.ok) throw new Error('the guide configuration was rejected');
  return result.config;
}

describe('docs/cluster.md', () => {
  it('shows a configuration the API accepts as an ECMP cluster, warning only of the DR ARP fix it explains', () => {
    const result = validateConfig(JSON.parse(marked('config')));
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => `${w.code} ${w.field}`)).toEqual(['CONFIG_DR_ARP layer4[0]']);
    expect(text).toContain('CONFIG_DR_ARP');
    expect(result.ok && clusterMode(result.config)).toBe('ecmp');
  });

  it('renders its Layer 4 service with mh, mh-fallback and mh-port', () => {
    const config = guideConfig();
    const [web] = config.layer4;
    if (web === undefined) throw new Error('the guide has no Layer 4 service');
    const specs = serviceSpecs(web, 'layer4[0]', clusterMode(config) === 'ecmp');
    expect(specs.length).toBeGreaterThan(0);
    for (const spec of specs) {
      expect(spec.scheduler).toBe('mh');
      expect(spec.schedulerFlags).toEqual({ fallback: true, port: true });
    }
  });

  it('renders its Layer 7 cookie persistence with each real server named by its label', () => {
    const config = guideConfig();
    const { text: cfg } = renderLayer7(config, { adminSocket: '/run/sluice/admin.sock', serverStateFile: '/tmp/x' });
    for (const rs of config.layer7[0]?.realServers ?? []) {
      expect(cfg).toMatch(new RegExp(`\\n    server ${rs.label} .* cookie ${rs.label}\\b`));
    }
    expect(config.layer7[0]?.realServers.length).toBe(2);
  });

  it('states the schema defaults for drainSeconds, maxLagSeconds and BFD', () => {
    const parsed = configSchema.parse({
      cluster: { mode: 'ecmp', bgp: { localAsn: 64512, peers: [{ address: '192.0.2.1', asn: 64500, bfd: {} }] } },
    });
    expect(parsed.cluster?.drainSeconds).toBe(10);
    expect(parsed.cluster?.maxLagSeconds).toBe(30);
    expect(parsed.cluster?.bgp?.peers[0]?.bfd).toEqual({ intervalMs: 300, multiplier: 3 });
    expect(text).toContain('| `drainSeconds` (10)');
    expect(text).toContain('| `maxLagSeconds` (30)');
    expect(text).toContain('`bfd` (default 300 ms × 3)');
  });

  describe('router blocks', () => {
    const config = guideConfig();
    const cluster = config.cluster;
    const peer = cluster?.bgp?.peers[0];
    if (cluster === undefined || peer === undefined) throw new Error('the guide configuration has no BGP peer');

    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sluice-cluster-guide-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('BIRD: parses with `bird -p` (BIRD 2 from the Debian package bird2)', async () => {
      const file = join(dir, 'router.conf');
      await writeFile(file, marked('bird'));
      const result = await run('bird', ['-p', '-c', file]).then(
        () => 'parsed',
        (error: NodeJS.ErrnoException & { stderr?: string }) => {
          if (error.code === 'ENOENT') throw new Error('bird is not installed (apt-get install bird2)');
          return `refused: ${error.stderr ?? error.message}`;
        },
      );
      expect(result).toBe('parsed');
    });

    it('BIRD: a session with every node, from the peer ASN to the nodes ASN, with the password', () => {
      const bird = marked('bird');
      expect(bird).toContain(`local as ${peer.asn};`);
      expect(bird).toContain(`router id ${peer.address};`);
      for (const node of cluster.nodes) {
        expect(bird).toContain(`neighbor ${node.address} as ${cluster.bgp?.localAsn}; password "${peer.password}";`);
      }
      expect(bird).toContain('if (65535, 0) ~ bgp_community then bgp_local_pref = 0;');
      expect(bird).toContain('merge paths on');
    });

    it('FRR: parses with `vtysh --dryrun` (FRR 8.4 from the Debian package frr), which refuses a broken copy', async () => {
      const check = async (name: string, content: string) => {
        const file = join(dir, name);
        await writeFile(file, content);
        return run('vtysh', ['--dryrun', '-f', file]).then(
          () => 'parsed',
          (error: NodeJS.ErrnoException & { stdout?: string; stderr?: string }) => {
            if (error.code === 'ENOENT') throw new Error('vtysh is not installed (apt-get install frr)');
            return `refused: ${error.stdout ?? ''}${error.stderr ?? error.message}`;
          },
        );
      };
      expect(await check('frr.conf', marked('frr'))).toBe('parsed');
      const broken = marked('frr').replace(' neighbor LB remote-as', ' neighbor LB remote-asn');
      expect(await check('broken.conf', broken)).toMatch(/^refused: .*Unknown command/s);
    });

    it('FRR: a session with every node, the password, multipath and local preference 0 on GRACEFUL_SHUTDOWN', () => {
      const frr = marked('frr');
      expect(frr).toContain(`router bgp ${peer.asn}\n`);
      expect(frr).toContain(`bgp router-id ${peer.address}\n`);
      expect(frr).toContain(`neighbor LB remote-as ${cluster.bgp?.localAsn}\n`);
      expect(frr).toContain(`neighbor LB password ${peer.password}\n`);
      for (const node of cluster.nodes) expect(frr).toContain(`neighbor ${node.address} peer-group LB\n`);
      expect(frr).toMatch(/match community GSHUT\n set local-preference 0\n/);
      expect(frr).toContain('maximum-paths');
    });
  });
});
