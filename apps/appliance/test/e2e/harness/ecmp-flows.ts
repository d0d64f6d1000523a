/**
 * The ECMP proof's pieces (issue #25): a client holding thousands of flows, a balancer's engine
 * in its namespace (IPVS, the VIP on lo, sloppy_tcp and BIRD: the appliance's own parts), and
 * the router's view of which balancer a flow takes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Host } from '@sluice/testkit';
import type { AdminStates } from '../../../src/admin-states/contract.js';
import { ApplianceEngine } from '../../../src/engine/engine.js';
import type { AdminState, AdminStateEntry, RealServerRef } from '../../../src/model/admin-state.js';
import type { LogRecord } from '../../../src/model/log-record.js';
import { parseConfig } from '../../../src/model/validate.js';

const FLOWS = fileURLToPath(new URL('../fixtures/flows.mjs', import.meta.url));
const NAME_ECHO = fileURLToPath(new URL('../fixtures/name-echo.mjs', import.meta.url));

/** Real server name per source port; `broken: <why>` for a flow that failed. */
export type FlowAnswers = Record<string, string | null>;

/** Thousands of sockets: the soft limit of open files (often 1,024) is raised for the one process. */
function spawnInNamespace(netns: string, script: string, args: readonly string[]): ChildProcess {
  const command = `ulimit -n 65536 && exec "$0" "$@"`;
  return spawn('ip', ['netns', 'exec', netns, 'sh', '-c', command, process.execPath, script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** A real server answering each line with its name (see fixtures/name-echo.mjs). */
export async function serveNameEcho(host: Host, name: string, port: number): Promise<ChildProcess> {
  const child = spawnInNamespace(host.netns, NAME_ECHO, [name, String(port)]);
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => line === 'READY' && resolve());
    child.once('exit', (code) => reject(new Error(`${name}'s echo server exited (${code}): ${err}`)));
  });
  return child;
}

/** The client namespace's flows (fixtures/flows.mjs), driven over its stdin. */
export class FlowClient {
  private readonly child: ChildProcess;
  private readonly pending: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  private stderr = '';
  readonly ready: Promise<void>;

  constructor(client: Host, source: string, vip: string, port: number, timeoutMs: number) {
    this.child = spawnInNamespace(client.netns, FLOWS, [source, vip, String(port), String(timeoutMs)]);
    this.child.stderr?.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-8_000);
    });
    let onReady: () => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      onReady = resolve;
      this.child.once('exit', (code) => {
        const error = new Error(`the flow client exited (${code}): ${this.stderr}`);
        reject(error);
        for (const p of this.pending.splice(0)) p.reject(error);
      });
    });
    // Only a failure before READY is the test's to see; later ones reject the pending calls.
    this.ready.catch(() => undefined);
    const lines = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (line === 'READY') onReady();
      if (line.startsWith('R ')) this.pending.shift()?.resolve(JSON.parse(line.slice(2)));
    });
  }

  private call<T>(request: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin?.write(`${JSON.stringify(request)}\n`);
    });
  }

  async open(first: number, count: number): Promise<FlowAnswers> {
    return (await this.call<{ servers: FlowAnswers }>({ cmd: 'open', first, count })).servers;
  }

  /** One request on every open flow; a broken flow is closed and not asked again. */
  async check(): Promise<FlowAnswers> {
    return (await this.call<{ servers: FlowAnswers }>({ cmd: 'check' })).servers;
  }

  /** Closes flows with a RST, so that their ports can open again at once. */
  async reset(first: number, count: number): Promise<void> {
    await this.call({ cmd: 'reset', first, count });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }
}

/** Admin states in memory, one set per balancer: each node's engine sees only its own. */
export class MemoryAdminStates implements Pick<AdminStates, 'get' | 'onChange'> {
  private readonly states = new Map<string, AdminState>();
  private readonly listeners = new Set<(entry: AdminStateEntry) => void>();
  private key = (ref: RealServerRef) => `${ref.layer}/${ref.service}/${ref.server}`;

  get(ref: RealServerRef): AdminState {
    return this.states.get(this.key(ref)) ?? 'online';
  }

  set(ref: RealServerRef, state: AdminState): void {
    this.states.set(this.key(ref), state);
    const entry = { ...ref, state, author: 'test', time: new Date().toISOString() };
    for (const l of this.listeners) l(entry);
  }

  onChange(listener: (entry: AdminStateEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface BalancerEngine {
  engine: ApplianceEngine;
  admin: MemoryAdminStates;
  logs: Pick<LogRecord, 'level' | 'message'>[];
  /** SIGKILL to the engine's BIRD (its sessions die with it); the engine's drift check starts it again. */
  killBird(): void;
  /** Stops the engine (its BIRD with it: the router withdraws) and removes its state directory. */
  stop(): Promise<void>;
}

/**
 * A real ApplianceEngine for node `nodeName` of the cluster `input` (a whole config) in the
 * balancer's namespace: IPVS, the VIP on lo, sloppy_tcp and the BGP part announcing the VIP.
 */
export async function startBalancerEngine(netns: string, nodeName: string, input: unknown): Promise<BalancerEngine> {
  const { config } = parseConfig(input);
  const admin = new MemoryAdminStates();
  const logs: BalancerEngine['logs'] = [];
  const stateDir = mkdtempSync(join(tmpdir(), 'sluice-ecmp-engine-'));
  const stop = async () => {
    await engine.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
  const engine = new ApplianceEngine({
    store: () => ({ version: 1, author: 'test', time: new Date().toISOString(), comment: '', config }),
    adminStates: admin,
    logs: {
      write: (channel, level, message) => {
        logs.push({ level, message });
        return { channel, level, message, time: new Date().toISOString() } as unknown as LogRecord;
      },
    },
    stateDir,
    netns,
    nodeName,
    // The drift check is what starts a BIRD that died again (the kill test); no observation timer.
    driftIntervalMs: 1000,
    observeIntervalMs: 0,
  });
  await engine.start();
  // No Layer 7 driver here (the daemon brings HAProxy's): every other part must have applied.
  const parts = engine.status().parts.filter((p) => p.part !== 'layer7' && p.state !== 'applied');
  if (parts.length > 0) {
    await stop();
    throw new Error(`the engine in ${netns} did not apply: ${JSON.stringify(parts)}; ${JSON.stringify(logs)}`);
  }
  return {
    engine,
    admin,
    logs,
    stop,
    killBird: () => process.kill(Number(readFileSync(join(stateDir, 'bird', 'bird.pid'), 'utf8').trim()), 'SIGKILL'),
  };
}

/**
 * Which balancer (gateway) the router sends each flow to now: `ip route get` with the flow's
 * ports, the same L4 hash as forwarded packets, asked in one `ip -batch` for all of them.
 */
export async function routerChoices(
  router: Host,
  routerIf: string,
  client: string,
  vip: string,
  vport: number,
  ports: readonly number[],
): Promise<Map<number, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ecmp-route-'));
  const file = join(dir, 'batch');
  writeFileSync(
    file,
    ports
      .map((p) => `route get ${vip} from ${client} iif ${routerIf} ipproto tcp sport ${p} dport ${vport}\n`)
      .join(''),
  );
  const { stdout } = await router.ip(['-batch', file]).finally(() => rmSync(dir, { recursive: true, force: true }));
  const lines = stdout.split('\n').filter((l) => l.startsWith(vip));
  if (lines.length !== ports.length) {
    throw new Error(
      `ip -batch route get answered ${lines.length} lines for ${ports.length} flows:\n${stdout.slice(0, 2000)}`,
    );
  }
  const out = new Map<number, string>();
  ports.forEach((port, i) => {
    const via = /\bvia (\S+)/.exec(lines[i] as string)?.[1];
    if (!via) throw new Error(`no gateway in the router's answer for port ${port}: ${lines[i]}`);
    out.set(port, via);
  });
  return out;
}

export interface IpvsEntry {
  state: string;
  /** Seconds left before the entry expires: a packet resets it (15 minutes when established). */
  expiresIn: number;
  server: string;
}

/** The IPVS connection entries of a balancer namespace for `vip`, by client port. */
export async function ipvsEntries(host: Host, vip: string): Promise<Map<number, IpvsEntry>> {
  const { stdout } = await host.exec('ipvsadm', ['-L', '-n', '-c'], 60_000);
  const out = new Map<number, IpvsEntry>();
  for (const line of stdout.split('\n')) {
    // TCP 14:59 ESTABLISHED 198.51.100.2:20000 203.0.113.10:80 192.0.2.21:80
    const m = /^TCP\s+(\d+):(\d+)\s+(\S+)\s+[\d.]+:(\d+)\s+([\d.]+):\d+\s+([\d.]+):\d+/.exec(line.trim());
    if (!m || m[5] !== vip) continue;
    out.set(Number(m[4]), {
      state: m[3] as string,
      expiresIn: Number(m[1]) * 60 + Number(m[2]),
      server: m[6] as string,
    });
  }
  return out;
}

/**
 * Which balancer carries each flow now, from the IPVS entries: the one whose entry the last
 * packet refreshed. Call it right after every flow has sent something, some seconds after the
 * flows last moved; a flow whose freshest entries are less than `marginSeconds` apart is
 * `undefined` (not known).
 */
export async function carriers(
  balancers: readonly Host[],
  vip: string,
  marginSeconds = 2,
): Promise<Map<number, string | undefined>> {
  const best = new Map<number, { label: string; expiresIn: number; second: number }>();
  for (const host of balancers) {
    for (const [port, entry] of await ipvsEntries(host, vip)) {
      const b = best.get(port);
      if (!b) best.set(port, { label: host.label, expiresIn: entry.expiresIn, second: -Infinity });
      else if (entry.expiresIn > b.expiresIn)
        best.set(port, { label: host.label, expiresIn: entry.expiresIn, second: b.expiresIn });
      else b.second = Math.max(b.second, entry.expiresIn);
    }
  }
  const out = new Map<number, string | undefined>();
  for (const [port, b] of best) out.set(port, b.expiresIn - b.second >= marginSeconds ? b.label : undefined);
  return out;
}
