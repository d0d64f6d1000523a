// Benchmark: the appliance pair partitioned. Every heartbeat link between the two nodes
// is cut for HOLD_MS (longer than the deadtime plus a ping round: 150 ms + about 2.5 s
// with the defaults), then given back; both nodes' floating IP is followed through the
// kernel's address notifications (testkit's AddressWatch), so a dual-active spell is timed
// to the millisecond. Two ways to cut, each without and with a ping node (the client):
// - `cut`: lbb drops every heartbeat (nftables, both ports, both directions); the LAN
//   stays up, so both nodes still reach the ping node: both active until the links return
//   (a split brain by design), then one releases;
// - `isolate`: lbb's cables are pulled (both links and its LAN): without a ping node it
//   takes over on an island; with one it sees the ping node gone, and must not stay active
//   past the deadtime plus the ping round.
// Per trial: how long both held the floating IP, when lbb took it after the cut, and the
// time from the links' return to a clean single-active state (only lba holds it) and to
// the whole pair (lba active, lbb passive, link up in `GET /api/v1/ha`).
// Usage (root): node bench/ha-partition.ts [TRIALS=20] [HOLD_MS=5000] [MODES=cut,isolate]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressChange, AddressWatch, FailoverLab, percentile } from '@sluice/testkit';
import { AppliancePair, HEARTBEAT_PORTS, machine } from './ha-pair.ts';
import { ms, writeFigures } from './uml-run.mjs';

const trials = Number(process.argv[2] ?? 20);
const holdMs = Number(process.argv[3] ?? 5000);
const modes = (process.argv[4] ?? 'cut,isolate').split(',') as ('cut' | 'isolate')[];
const PING_NODE = '192.0.2.10';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Trial {
  dualActiveMs: number;
  /** lbb took the floating IP this long after the cut (undefined: it never did). */
  takeoverMs: number | undefined;
  /** From the links' return until only lba holds the floating IP. */
  cleanMs: number;
  /** From the links' return until the API shows the pair whole. */
  wholeMs: number;
}

/** How long both held the address between `from` and `to`, from both watches' changes. */
function dualActive(a: AddressWatch, b: AddressWatch, from: number, to: number, initial: [boolean, boolean]): number {
  const events = [
    ...a.changes.map((c: AddressChange) => ({ ...c, node: 0 })),
    ...b.changes.map((c: AddressChange) => ({ ...c, node: 1 })),
  ]
    .filter((e) => e.at >= from && e.at <= to)
    .sort((x, y) => x.at - y.at);
  const held = [...initial];
  let total = 0;
  let at = from;
  for (const e of events) {
    if (held[0] && held[1]) total += e.at - at;
    held[e.node] = e.held;
    at = e.at;
  }
  if (held[0] && held[1]) total += to - at;
  return total;
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-ha-partition-'));
const lab = await FailoverLab.create();
const watches: AddressWatch[] = [];
try {
  const { lba, lbb } = lab.nodes;
  const pair = new AppliancePair(lab, dir);
  await pair.up();
  const [wa, wb] = [
    await AddressWatch.start(lba.host, FailoverLab.VIP_CIDR),
    await AddressWatch.start(lbb.host, FailoverLab.VIP_CIDR),
  ];
  watches.push(wa, wb);
  const whole = async () => {
    const [a, b] = await Promise.all([pair.nodes.lba.ha(), pair.nodes.lbb.ha()]);
    return a.state === 'active' && b.state === 'passive' && a.link === 'up' && b.link === 'up';
  };
  const results: { mode: string; ping: boolean; trials: Trial[] }[] = [];
  for (const ping of [false, true]) {
    await pair.configure(ping ? [PING_NODE] : []);
    for (const mode of modes) {
      const row = { mode, ping, trials: [] as Trial[] };
      results.push(row);
      for (let trial = 0; trial < trials; trial++) {
        await pair.untilSteady();
        await sleep(500 + Math.random() * 500); // a random phase of the heartbeat cycle
        const cutAt = performance.now();
        if (mode === 'cut') await lab.cutUdp(lbb, HEARTBEAT_PORTS);
        else await lab.plugCables(lbb, false);
        await sleep(holdMs);
        const restoredAt = performance.now();
        if (mode === 'cut') await lab.cutUdp(lbb, HEARTBEAT_PORTS, false);
        else await lab.plugCables(lbb, true);
        // Clean: only lba holds the floating IP, and stays so for 1 s.
        let cleanAt: number;
        for (;;) {
          await Promise.all([wa.until(true, 60_000), wb.until(false, 60_000)]);
          cleanAt = Math.max(wa.changes.at(-1)?.at ?? 0, wb.changes.at(-1)?.at ?? 0, restoredAt);
          await sleep(1000);
          if (wa.held && !wb.held) break;
        }
        let wholeAt = performance.now();
        for (let i = 0; !(await whole().catch(() => false)); i++) {
          if (i > 600) throw new Error(`${mode} trial ${trial}: the pair is not whole 60 s after the links returned`);
          await sleep(100);
          wholeAt = performance.now();
        }
        const took = wb.changes.find((c) => c.at >= cutAt && c.held);
        const result: Trial = {
          dualActiveMs: Math.round(dualActive(wa, wb, cutAt, cleanAt, [true, false])),
          takeoverMs: took === undefined ? undefined : Math.round(took.at - cutAt),
          cleanMs: Math.round(Math.max(0, cleanAt - restoredAt)),
          wholeMs: Math.round(wholeAt - restoredAt),
        };
        row.trials.push(result);
        process.stderr.write(
          `${mode}${ping ? ' +ping' : ''} trial ${trial + 1}/${trials}: ${JSON.stringify(result)}\n`,
        );
      }
    }
  }
  console.log(JSON.stringify({ bench: 'HA partitions', holdMs, results }));
  const p = (values: number[], q: number) =>
    percentile(
      [...values].sort((x, y) => x - y),
      q,
    );
  const line = ({ mode, ping, trials: t }: (typeof results)[number]) => {
    const dual = t.map((x) => x.dualActiveMs);
    const taken = t.filter((x) => x.takeoverMs !== undefined).map((x) => x.takeoverMs as number);
    const clean = t.map((x) => x.cleanMs);
    const wholeMs = t.map((x) => x.wholeMs);
    return `| ${mode === 'cut' ? 'heartbeats dropped (nftables), LAN up' : 'lbb isolated (cables pulled)'} | ${ping ? PING_NODE : 'none'} | ${t.length} | ${taken.length} (after ${taken.length ? ms(p(taken, 50)) : '-'}) | ${ms(p(dual, 50))} / ${ms(Math.max(...dual))} | ${ms(p(clean, 50))} / ${ms(Math.max(...clean))} | ${ms(p(wholeMs, 50))} / ${ms(Math.max(...wholeMs))} |`;
  };
  writeFigures(
    'ha-partition',
    `${machine()}. Reproduce: \`node bench/ha-partition.ts ${trials} ${holdMs} ${modes.join(',')}\` (root). Each partition lasts ${ms(holdMs)}; times are p50 / max.

| partition | ping node | trials | lbb took the floating IP (p50 after the cut) | both active | links back until only lba holds it | links back until the pair is whole (API) |
| --- | --- | --- | --- | --- | --- | --- |
${results.map(line).join('\n')}
`,
  );
} finally {
  for (const w of watches) w.stop();
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
