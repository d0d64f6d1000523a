// Benchmark: failover time of the HA pair, as a client sees it. Two balancers and a
// client on a bridge; the balancers also share a direct cable. A UDP probe every 10 ms
// from the client to the floating IP; at a random moment the active node dies (its
// daemon SIGKILLed and its cables pulled at the same instant); the failover time is the
// longest gap in the replies. Runs sluice-heartbeat (defaults) and keepalived 2.2.7
// (tuned: VRRPv3, advert_int 0.1, garp delay 0; and optionally its defaults) in the
// same topology, one after the other, and prints p50/p90/p99/max for each.
// Usage (root): node bench/failover.ts [TRIALS=20] [IMPLS=sluice,keepalived-tuned]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab, type NamespaceProcess } from '@sluice/testkit';

const trials = Number(process.argv[2] ?? 20);
const impls = (process.argv[3] ?? 'sluice,keepalived-tuned').split(',');
const here = import.meta.dirname;
const CLI = join(here, '..', 'dist', 'cli.js');
const VIP = '192.0.2.100';
const ECHO_PORT = 7;

type Impl = 'sluice' | 'keepalived-tuned' | 'keepalived-default';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? Number.NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-hb-bench-'));
const lab = await Lab.create();
try {
  const sw = await lab.switch('sw');
  const client = await lab.host('client');
  await lab.attach(client, sw, ['192.0.2.10/24']);
  const lba = await lab.host('lba');
  const lbb = await lab.host('lbb');
  const lan = { lba: await lab.attach(lba, sw, ['192.0.2.1/24']), lbb: await lab.attach(lbb, sw, ['192.0.2.2/24']) };
  const direct = await lab.link(lba, lbb, { aAddrs: ['198.51.100.1/24'], bAddrs: ['198.51.100.2/24'] });
  const cable = { lba: direct.aIf, lbb: direct.bIf };
  await lba.serveUdpEcho({ name: 'lba', port: ECHO_PORT });
  await lbb.serveUdpEcho({ name: 'lbb', port: ECHO_PORT });
  const hosts = { lba, lbb };

  const config = (impl: Impl, label: 'lba' | 'lbb'): string[] => {
    const file = join(dir, `${impl}-${label}.conf`);
    if (impl === 'sluice') {
      writeFileSync(
        file,
        JSON.stringify({
          nodeId: label,
          peerId: label === 'lba' ? 'lbb' : 'lba',
          role: label === 'lba' ? 'master' : 'slave',
          keys: [{ id: 1, secret: 'be'.repeat(32) }],
          links: [
            {
              name: 'lan',
              type: 'unicast',
              local: label === 'lba' ? '192.0.2.1' : '192.0.2.2',
              peer: label === 'lba' ? '192.0.2.2' : '192.0.2.1',
            },
            {
              name: 'cable',
              type: 'unicast',
              local: label === 'lba' ? '198.51.100.1' : '198.51.100.2',
              peer: label === 'lba' ? '198.51.100.2' : '198.51.100.1',
            },
          ],
          floatingIps: [{ address: `${VIP}/24`, interface: lan[label] }],
        }),
      );
      return [process.execPath, CLI, 'run', '--config', file];
    }
    const tuned = impl === 'keepalived-tuned';
    writeFileSync(
      file,
      `global_defs {
  router_id ${label}
  ${tuned ? 'vrrp_version 3' : 'vrrp_version 2'}
  ${tuned ? 'vrrp_garp_master_delay 0' : ''}
}
vrrp_instance VI_1 {
  state ${label === 'lba' ? 'MASTER' : 'BACKUP'}
  interface ${lan[label]}
  virtual_router_id 51
  priority ${label === 'lba' ? 150 : 100}
  advert_int ${tuned ? '0.1' : '1'}
  ${tuned ? 'garp_master_delay 0' : ''}
  virtual_ipaddress {
    ${VIP}/24
  }
}
`,
    );
    return [
      '/usr/sbin/keepalived',
      '--dont-fork',
      '--log-console',
      '--vrrp',
      '--use-file',
      file,
      `--pid=${join(dir, `${label}.pid`)}`,
      `--vrrp_pid=${join(dir, `${label}.vrrp.pid`)}`,
    ];
  };

  const hasVip = async (host: Host) => (await host.ip(['-br', 'addr'])).stdout.includes(`${VIP}/24`);
  const served = async () => {
    try {
      return (await client.udpRequest(VIP, ECHO_PORT, 'x', 300)).split(':')[0];
    } catch {
      return undefined;
    }
  };

  const results: Record<string, number[]> = {};
  for (const impl of impls as Impl[]) {
    results[impl] = [];
    for (let trial = 0; trial < trials; trial++) {
      const procs: Partial<Record<'lba' | 'lbb', NamespaceProcess>> = {};
      const start = (label: 'lba' | 'lbb') => {
        const [cmd, ...args] = config(impl, label);
        procs[label] = hosts[label].spawn(cmd as string, args);
      };
      // keepalived's VRRP work happens in a child process, which a SIGKILL of the parent
      // alone would let shut down gracefully (priority 0 advert: an instant, unfair
      // handover). Both die at once, by pid.
      const kill = async (label: 'lba' | 'lbb') => {
        const vrrpPid = join(dir, `${label}.vrrp.pid`);
        if (impl !== 'sluice' && existsSync(vrrpPid)) {
          const pid = Number(readFileSync(vrrpPid, 'utf8').trim());
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
          rmSync(vrrpPid, { force: true });
          rmSync(join(dir, `${label}.pid`), { force: true });
        }
        await procs[label]?.stop();
      };
      start('lba');
      await waitFor('lba holds the VIP', () => hasVip(lba)).catch((error: Error) => {
        throw new Error(`${error.message}; lba said: ${procs.lba?.log}`);
      });
      start('lbb');
      await waitFor('client served by lba', async () => (await served()) === 'lba');
      await sleep(impl === 'keepalived-default' ? 3000 : 1000); // steady state
      const probe = client.spawn(process.execPath, [join(here, 'probe.mjs'), VIP, String(ECHO_PORT), '10', '5000']);
      await probe.waitForLine('READY', 10_000);
      // A random phase of the heartbeat / advertisement cycle.
      await sleep(500 + Math.random() * 1000);
      await Promise.all([
        kill('lba'),
        lba.ip(['link', 'set', lan.lba, 'down']),
        lba.ip(['link', 'set', cable.lba, 'down']),
      ]);
      const line = await probe.waitForLine('{', 30_000);
      const result = JSON.parse(`{${line}`) as { gapMs: number; before: string; after: string; lastFrom: string };
      if (result.before !== 'lba' || result.lastFrom !== 'lbb') {
        throw new Error(
          `${impl} trial ${trial}: unexpected probe result ${JSON.stringify(result)}\nlbb said: ${procs.lbb?.log}`,
        );
      }
      results[impl].push(result.gapMs);
      process.stderr.write(`${impl} trial ${trial + 1}/${trials}: ${result.gapMs} ms\n`);
      await kill('lbb');
      for (const label of ['lba', 'lbb'] as const) {
        await hosts[label].ip(['addr', 'flush', 'dev', lan[label], 'to', `${VIP}/32`]);
      }
      await lba.ip(['link', 'set', lan.lba, 'up']);
      await lba.ip(['link', 'set', cable.lba, 'up']);
      await sleep(200);
    }
  }

  const summary = Object.entries(results).map(([impl, gaps]) => {
    const sorted = [...gaps].sort((a, b) => a - b);
    return {
      impl,
      trials: sorted.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.at(-1),
    };
  });
  const ours = summary.find((s) => s.impl === 'sluice');
  console.log(
    JSON.stringify(
      {
        bench: 'heartbeat failover (UDP probe every 10 ms, ms of silence)',
        results: summary,
        ratios: ours
          ? summary.filter((s) => s !== ours).map((s) => ({ vs: s.impl, p50: s.p50 / ours.p50, p99: s.p99 / ours.p99 }))
          : [],
      },
      null,
      2,
    ),
  );
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
