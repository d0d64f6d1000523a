// The supervisor with real HAProxy in a namespace: hitless reloads, refused configurations,
// admin state across reloads, coalescing, and drain through the runtime API.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HaproxyConfig, Supervisor } from '../src/index.js';
import { generationModel, makeRig, type Rig, VIP, waitFor } from './helpers/rig.js';

let rig: Rig;
let supervisor: Supervisor;

function model(header = 'one'): HaproxyConfig {
  return generationModel(rig.dir, header, true);
}

async function names(count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await rig.curl([`http://${VIP}/`]);
    expect(response.status).toBe(200);
    out.push((JSON.parse(response.body) as { name: string }).name);
  }
  return out;
}

async function generation(): Promise<string> {
  const response = await rig.curl([`http://${VIP}/`]);
  return (JSON.parse(response.body) as { headers: Record<string, string> }).headers['x-generation'] ?? '';
}

async function workerPid(): Promise<number> {
  return (await supervisor.runtime().showInfo()).pid;
}

beforeAll(async () => {
  rig = await makeRig();
  for (const [i, host] of rig.servers.entries()) await rig.echo(host, `s${i + 1}`, 8080);
  supervisor = rig.supervisor();
  const started = await supervisor.start(model());
  expect(started).toMatchObject({ applied: true, diagnostics: [] });
  await waitFor('servers up', async () => {
    const rows = await supervisor.runtime().showStat();
    return rows.filter((r) => r.proxy === 'app' && r.type === 'server' && r.status === 'UP').length === 2
      ? true
      : undefined;
  });
});

afterAll(async () => {
  await rig?.destroy();
});

describe('Supervisor', () => {
  it('drains a server through the runtime API without a reload', async () => {
    const pid = await workerPid();
    const runtime = supervisor.runtime();
    await runtime.setServerState('app', 's1', 'drain');
    expect(new Set(await names(6))).toEqual(new Set(['s2']));
    expect(await workerPid()).toBe(pid);
    await runtime.setServerState('app', 's1', 'ready');
    expect(new Set(await names(6))).toEqual(new Set(['s1', 's2']));
  });

  it('keeps serving the old configuration when the new one does not validate, and says why', async () => {
    const pid = await workerPid();
    const bad = model('two');
    const frontend = bad.frontends[0];
    if (!frontend) throw new Error('fixture');
    frontend.binds.push({ address: VIP, ports: [443], tls: { certificates: [join(rig.dir, 'missing.pem')] } });
    const result = await supervisor.apply(bad);
    expect(result.applied).toBe(false);
    const alert = result.diagnostics.find((d) => d.severity === 'alert' && d.line !== undefined);
    expect(alert?.message).toContain('missing.pem');
    expect(await workerPid()).toBe(pid);
    expect(await generation()).toBe('one');
  });

  it('reloads hitlessly: a request loop running through five reloads loses nothing', async () => {
    const loop = rig.node(rig.client, 'request-loop.mjs', [`http://${VIP}/`, '4000']);
    const reloads: number[] = [];
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++) {
      const result = await supervisor.apply(model(`loop${i}`));
      expect(result.applied).toBe(true);
      reloads.push(result.reload ?? -1);
      await new Promise((r) => setTimeout(r, 200));
    }
    const summary = JSON.parse(await loop) as { ok: number; failed: number; errors: string[] };
    expect(summary.errors).toEqual([]);
    expect(summary.failed).toBe(0);
    expect(summary.ok).toBeGreaterThan(20);
    expect(new Set(reloads).size).toBe(5);
    expect(await generation()).toBe('loop4');
  });

  it('keeps drain, maintenance and weights across a reload (server-state file)', async () => {
    const runtime = supervisor.runtime();
    await runtime.setServerState('app', 's1', 'drain');
    await runtime.setWeight('app', 's2', 7);
    const result = await supervisor.apply(model('state'));
    expect(result.applied).toBe(true);
    expect(await generation()).toBe('state');
    const states = await supervisor.runtime().showServersState('app');
    expect(states.map((s) => [s.server, s.adminState, s.userWeight])).toEqual([
      ['s1', 'drain', 1],
      ['s2', 'ready', 7],
    ]);
    await runtime.setServerState('app', 's1', 'ready');
    await runtime.setWeight('app', 's2', 1);
  });

  it('coalesces a burst of applies into one reload of the latest configuration', async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => supervisor.apply(model(`burst${i}`))));
    expect(results.every((r) => r.applied)).toBe(true);
    expect(new Set(results.map((r) => r.reload)).size).toBe(1);
    expect(await generation()).toBe('burst5');
    const procs = await supervisor.master.showProc();
    expect(procs.filter((p) => p.role === 'worker' && !p.old)).toHaveLength(1);
  });

  it('starts HAProxy again with the last configuration when it dies', async () => {
    const pid = supervisor.pid;
    expect(pid).toBeDefined();
    const restarted = new Promise<number>((resolve) => supervisor.once('restart', resolve));
    const exited = new Promise<void>((resolve) => supervisor.once('exit', () => resolve()));
    process.kill(pid as number, 'SIGKILL');
    await exited;
    const newPid = await restarted;
    expect(newPid).not.toBe(pid);
    await waitFor('serving again', async () => ((await generation()) === 'burst5' ? true : undefined));
  });

  it('refuses to apply once stopped', async () => {
    const other = rig.supervisor({
      masterSocket: join(rig.dir, 'other-master.sock'),
      configPath: join(rig.dir, 'other.cfg'),
    });
    await expect(other.apply(model())).rejects.toMatchObject({ code: 'HAPROXY_SUPERVISOR_STOPPED' });
  });
});
