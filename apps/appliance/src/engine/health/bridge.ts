/**
 * The health part: the configuration's health checks of Layer 4 services as targets of
 * `@sluice/health`'s scheduler. Transitions become the real server's health and a re-apply
 * (the engine listens). Layer 7 services are checked by HAProxy itself, not here.
 */
import {
  type CheckDefinition,
  type CheckExecutor,
  type Clock,
  NetworkExecutor,
  Scheduler,
  type TargetDefinition,
  type TransitionEvent,
} from '@sluice/health';
import type { CheckLatency } from '../../metrics/engine-metrics.js';
import { CHECK_SECONDS, Histogram } from '../../metrics/histogram.js';
import type { RealServerRef } from '../../model/admin-state.js';
import type { HealthState } from '../../model/engine-status.js';
import type { HealthCheck } from '../../model/schema.js';
import type { DesiredInput, PartApplyResult, PartDriver, ProbeResult, ServerObservation } from '../driver.js';
import { serverKey } from '../driver.js';
import { virtualPorts } from '../layer4/desired.js';
import { NamespaceExecutor } from './namespace-executor.js';

export interface HealthTransition {
  ref: RealServerRef;
  state: HealthState;
  /** The failure (`refused`, `timeout`, `bad-status`: status 503) while down. */
  reason?: string;
}

export interface HealthBridgeOptions {
  executor?: CheckExecutor;
  /** Run the checks inside this named network namespace (`serve --netns`), where the real servers are. */
  netns?: string;
  clock?: Clock;
  /** For tests: no random spread of the first checks. */
  warmupMs?: number;
}

/** What the engine needs of a health part besides PartDriver. */
export interface HealthSource extends PartDriver {
  stateOf(ref: RealServerRef): { state: HealthState; reason?: string } | undefined;
  onTransition(listener: (transition: HealthTransition) => void): () => void;
}

export function checkDefinition(check: HealthCheck): CheckDefinition {
  const port = check.port === undefined ? {} : { port: check.port };
  switch (check.type) {
    case 'connect':
      return { type: 'connect', ...port };
    case 'ping':
      return { type: 'ping' };
    case 'http':
    case 'https':
      return {
        type: 'negotiate',
        ...port,
        scheme: check.type,
        path: check.path ?? '/',
        ...(check.host ? { host: check.host } : {}),
        ...(check.expectStatus ? { expectStatus: [check.expectStatus] } : {}),
        // Real servers behind a balancer mostly have self-signed certificates: the check
        // judges that the service answers, not whom it presents itself as.
        ...(check.type === 'https' ? { verify: false } : {}),
      };
  }
}

function refOf(id: string): RealServerRef {
  const [, service = '', server = ''] = id.split('/');
  return { layer: 'layer4', service, server };
}

function reasonText(e: TransitionEvent): string | undefined {
  if (e.to !== 'down') return undefined;
  return e.detail ? `${e.reason}: ${e.detail}` : e.reason;
}

export class HealthBridge implements HealthSource {
  readonly part = 'health' as const;
  private readonly scheduler: Scheduler;
  private readonly executor: CheckExecutor;
  private readonly ownExecutor: NetworkExecutor | NamespaceExecutor | undefined;
  /** id -> the target as last set, serialised, so an unchanged target keeps its state. */
  private readonly targets = new Map<string, string>();
  private readonly states = new Map<string, { state: HealthState; reason?: string }>();
  private readonly listeners = new Set<(t: HealthTransition) => void>();
  /** id -> its check latencies, made when the target is set (a check result only counts). */
  private readonly latencies = new Map<string, CheckLatency>();

  constructor(options: HealthBridgeOptions = {}) {
    this.ownExecutor = options.executor
      ? undefined
      : options.netns === undefined
        ? new NetworkExecutor()
        : new NamespaceExecutor(options.netns);
    this.executor = options.executor ?? (this.ownExecutor as CheckExecutor);
    this.scheduler = new Scheduler({
      executor: this.executor,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.warmupMs !== undefined ? { warmupMs: options.warmupMs } : {}),
    });
    this.scheduler.on('transition', (e) => {
      if (!this.targets.has(e.target)) return;
      const reason = reasonText(e);
      const state: HealthState = e.to;
      this.states.set(e.target, reason ? { state, reason } : { state });
      const ref = refOf(e.target);
      for (const listener of this.listeners) listener(reason ? { ref, state, reason } : { ref, state });
    });
    this.scheduler.on('result', (e) => {
      this.latencies.get(e.target)?.seconds.observe(e.latencyMs / 1000);
    });
  }

  async probe(): Promise<ProbeResult> {
    return { available: true };
  }

  async apply(input: DesiredInput): Promise<PartApplyResult> {
    const checks = new Map(input.config.healthChecks.map((c) => [c.label, c]));
    const wanted = new Map<string, TargetDefinition>();
    /** id -> the configured check type (`http`, not the scheduler's `negotiate`). */
    const types = new Map<string, string>();
    input.config.layer4.forEach((service, i) => {
      const check = service.healthCheck ? checks.get(service.healthCheck) : undefined;
      if (!check) return;
      const [firstPort = 0] = service.protocol === 'fwmark' ? [0] : virtualPorts(service, `layer4[${i}]`);
      for (const server of service.realServers) {
        const id = serverKey({ layer: 'layer4', service: service.label, server: server.label });
        const port = server.port ?? (firstPort || undefined);
        types.set(id, check.type);
        wanted.set(id, {
          id,
          service: service.label,
          address: server.address,
          ...(port ? { port } : {}),
          virtual: { address: service.vip, ...(firstPort ? { port: firstPort } : {}) },
          check: checkDefinition(check),
          intervalMs: check.intervalSeconds * 1000,
          timeoutMs: Math.min(check.timeoutSeconds, check.intervalSeconds) * 1000,
          rise: check.rise,
          fall: check.fall,
        });
      }
    });
    const changes: string[] = [];
    for (const id of [...this.targets.keys()]) {
      if (wanted.has(id)) continue;
      this.scheduler.remove(id);
      this.targets.delete(id);
      this.states.delete(id);
      this.latencies.delete(id);
      changes.push(`health: stop checking ${id}`);
    }
    for (const [id, target] of wanted) {
      const text = JSON.stringify(target);
      if (this.targets.get(id) === text) continue;
      const had = this.targets.has(id);
      // Identical checks of one server (same address, ports, check, timing) share one run in the scheduler.
      this.scheduler.set(target);
      this.targets.set(id, text);
      if (!had) this.states.set(id, { state: 'unknown' });
      // A changed check starts a new distribution: its latencies say nothing of the old one's.
      const ref = refOf(id);
      const type = types.get(id) ?? 'unknown';
      this.latencies.set(id, {
        service: ref.service,
        server: ref.server,
        check: type,
        seconds: new Histogram(CHECK_SECONDS),
      });
      changes.push(
        `health: ${had ? 'change' : 'check'} ${id} (${target.check?.type} ${target.address}${target.port ? `:${target.port}` : ''})`,
      );
    }
    return { changes };
  }

  checkLatencies(): Iterable<CheckLatency> {
    return this.latencies.values();
  }

  stateOf(ref: RealServerRef): { state: HealthState; reason?: string } | undefined {
    return this.states.get(serverKey(ref));
  }

  onTransition(listener: (transition: HealthTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async observe(): Promise<Map<string, ServerObservation>> {
    return new Map();
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    await this.ownExecutor?.close();
  }
}

export function createHealthBridge(options: HealthBridgeOptions = {}): HealthBridge {
  return new HealthBridge(options);
}
