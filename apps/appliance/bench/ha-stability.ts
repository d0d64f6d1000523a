// Benchmark: false failovers of the appliance pair under API load with both cores
// saturated. One busy loop per core runs in another namespace for the whole run; for
// SECONDS the client sends `PUT /api/v1/config` back to back, each the whole 1,000
// Layer 4 services x 10 real servers document with one real server's weight changed:
// first to the active node (each write is parsed, validated, stored and replicated: the
// passive node validates and stores every version too), then to the passive node (which
// reads and parses each body, then refuses it with 409 HA_PASSIVE: edits are the active
// node's). The host kernel has no IPVS: the Layer 4 part of the apply is unavailable, the
// write path (validation, store, replication) is the same. A false failover is any role
// change (`transitions` in `GET /api/v1/ha`, on either node) or the passive node taking the
// floating IP; the heartbeat's lateness comes from the same endpoint's histograms (the
// ones /metrics exports as sluice_ha_heartbeat_lateness_seconds and
// sluice_ha_peer_heartbeat_gap_seconds).
// Usage (root): node bench/ha-stability.ts [SECONDS=300] [SERVICES=1000] [SERVERS=10]
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressWatch, FailoverLab, percentile } from '@sluice/testkit';
import type { HaStatus, LatenessHistogram } from '../src/model/ha-status.ts';
import { ApiError } from '../test/e2e/harness/api.ts';
import { type ApplianceNode, AppliancePair, machine } from './ha-pair.ts';
import { ms, writeFigures } from './uml-run.mjs';

const seconds = Number(process.argv[2] ?? 300);
const SERVICES = Number(process.argv[3] ?? 1000);
const SERVERS = Number(process.argv[4] ?? 10);

/** 250 VIPs x 4 ports, in a network no interface of the lab has (so no VIP is placed on one). */
function layer4(weightOf: (service: number, server: number) => number) {
  return Array.from({ length: SERVICES }, (_, i) => ({
    label: `svc${i}`,
    vip: `203.0.113.${1 + (Math.floor(i / 4) % 250)}`,
    ports: [80 + (i % 4) + 10 * Math.floor(i / 1000)],
    forwarding: 'dr',
    scheduler: 'wlc',
    realServers: Array.from({ length: SERVERS }, (_, j) => ({
      label: `rs${j}`,
      address: `192.0.2.${20 + j}`,
      weight: weightOf(i, j),
    })),
  }));
}

/** The smallest bound holding 99 % of what was recorded between two snapshots (`> last bound` if none). */
function p99Between(before: LatenessHistogram | undefined, after: LatenessHistogram | undefined): string {
  if (!before || !after) return '-';
  const count = after.count - before.count;
  if (count === 0) return '-';
  const i = after.buckets.findIndex((b, k) => b - (before.buckets[k] ?? 0) >= 0.99 * count);
  return i === -1 ? `> ${after.bounds.at(-1)} ms` : `≤ ${after.bounds[i]} ms`;
}

interface Phase {
  writesTo: string;
  writes: number;
  statuses: Record<string, number>;
  writeP50Ms: number;
  writeP99Ms: number;
  versionAfter: number;
  passiveVersionAfter: number;
  falseFailovers: number;
  passiveTookVip: number;
  states: string[];
  lateness: {
    node: string;
    sendP99: string;
    peerGapP99: string;
    sendMaxMs: number | undefined;
    peerGapMaxMs: number | undefined;
  }[];
}

const transitions = (s: HaStatus) => Object.values(s.transitions ?? {}).reduce((a, b) => a + b, 0);

const dir = mkdtempSync(join(tmpdir(), 'sluice-ha-stability-'));
const lab = await FailoverLab.create();
const watches: AddressWatch[] = [];
try {
  const pair = new AppliancePair(lab, dir);
  await pair.up();
  const { lba, lbb } = pair.nodes;
  const base = await lba.api.get<{ version: number; config: Record<string, unknown> }>('/config');
  let version = (
    await lba.api.call<{ version: number }>('PUT', `/config?version=${base.version}`, {
      ...base.config,
      layer4: layer4(() => 1),
    })
  ).version;
  await pair.untilSteady();
  const standby = await AddressWatch.start(lab.nodes.lbb.host, FailoverLab.VIP_CIDR);
  watches.push(standby);
  const burners = Array.from({ length: availableParallelism() }, () =>
    lab.load.spawn(process.execPath, ['-e', 'for (;;) {}']),
  );
  const phases: Phase[] = [];
  for (const [target, name] of [
    [lba, 'active'],
    [lbb, 'passive'],
  ] as [ApplianceNode, string][]) {
    const before = await Promise.all([lba.ha(), lbb.ha()]);
    const vipChanges = standby.changes.length;
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    const until = performance.now() + seconds * 1000;
    for (let n = 0; performance.now() < until; n++) {
      const service = n % SERVICES;
      const server = Math.floor(n / SERVICES) % SERVERS;
      const weight = 2 + (n % 200);
      const doc = { ...base.config, layer4: layer4((i, j) => (i === service && j === server ? weight : 1)) };
      const started = performance.now();
      const response = await target.api.raw<{ version?: number; error?: { code?: string } }>(
        'PUT',
        `/config?version=${version}`,
        doc,
        {},
        120_000,
      );
      latencies.push(performance.now() - started);
      const key = `${response.status}${response.body?.error?.code ? ` ${response.body.error.code}` : ''}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (response.status === 200 && response.body.version !== undefined) version = response.body.version;
      else if (!(target === lbb && response.status === 409)) throw new ApiError('PUT', '/config', response);
    }
    const after = await Promise.all([lba.ha(), lbb.ha()]);
    // The write path did the work: the active node holds the last version written, all of
    // it, and the passive node stored it too (replication).
    const [stored, replicated] = await Promise.all([
      lba.api.get<{ version: number; config: { layer4: { realServers: unknown[] }[] } }>('/config'),
      lbb.api.get<{ version: number }>('/config'),
    ]);
    const servers = stored.config.layer4.reduce((sum, s) => sum + s.realServers.length, 0);
    if (stored.version !== version || servers !== SERVICES * SERVERS) {
      throw new Error(
        `lba holds version ${stored.version} with ${servers} real servers, not ${version} with ${SERVICES * SERVERS}`,
      );
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    phases.push({
      writesTo: name,
      writes: latencies.length,
      statuses,
      writeP50Ms: percentile(sorted, 50),
      writeP99Ms: percentile(sorted, 99),
      versionAfter: version,
      passiveVersionAfter: replicated.version,
      falseFailovers: after.reduce((sum, s, i) => sum + transitions(s) - transitions(before[i] as HaStatus), 0),
      passiveTookVip: standby.changes.slice(vipChanges).filter((c) => c.held).length,
      states: after.map((s) => s.state),
      lateness: ['lba', 'lbb'].map((node, i) => ({
        node,
        sendP99: p99Between(before[i]?.heartbeat?.sendLateness, after[i]?.heartbeat?.sendLateness),
        peerGapP99: p99Between(before[i]?.heartbeat?.peerGap, after[i]?.heartbeat?.peerGap),
        sendMaxMs: after[i]?.heartbeat?.sendLateness.maxMs,
        peerGapMaxMs: after[i]?.heartbeat?.peerGap.maxMs,
      })),
    });
    process.stderr.write(`${JSON.stringify(phases.at(-1))}\n`);
  }
  await Promise.all(burners.map((b) => b.stop()));
  console.log(JSON.stringify({ bench: 'HA stability under API writes and saturated cores', seconds, phases }));
  const row = (p: Phase) =>
    `| ${p.writesTo} node (${p.writesTo === 'active' ? 'lba' : 'lbb'}) | ${p.writes} (${Object.entries(p.statuses)
      .map(([k, v]) => `${v} × ${k}`)
      .join(
        ', ',
      )}), p50 ${ms(p.writeP50Ms)}, p99 ${ms(p.writeP99Ms)} | ${p.falseFailovers} (passive took the floating IP ${p.passiveTookVip} times) | ${p.lateness.map((l) => `${l.node}: sent ${l.sendP99}, peer's ${l.peerGapP99}`).join('; ')} | ${p.lateness.map((l) => `${l.node}: ${ms(l.sendMaxMs ?? 0)} / ${ms(l.peerGapMaxMs ?? 0)}`).join('; ')} |`;
  writeFigures(
    'ha-stability',
    `${machine()}. Reproduce: \`node bench/ha-stability.ts ${seconds} ${SERVICES} ${SERVERS}\` (root). ${burners.length} busy loops for the whole run; ${seconds} s of writes per phase, each \`PUT /api/v1/config\` the whole ${SERVICES.toLocaleString('en')} × ${SERVERS} document.

| writes sent to | writes (answers), time to answer | false failovers | heartbeat lateness p99 (this node's sends late by; the peer's arrive apart by) | max since the daemon started (sent late / peer gap) |
| --- | --- | --- | --- | --- |
${phases.map(row).join('\n')}
`,
  );
} finally {
  for (const w of watches) w.stop();
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
