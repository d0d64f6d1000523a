import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ApplyResult,
  type Diagnostic,
  execFileRunner,
  type Launcher,
  type LogTarget,
  type ProcessRunner,
  type RuntimeClient,
  type StatRow,
  Supervisor,
  type SupervisorOptions,
} from '@sluice/haproxy-config';
import { ApplianceError } from '../../errors.js';
import type { LogBook } from '../../logs/contract.js';
import type { Layer7StatRow } from '../../model/engine-status.js';
import type { LogLevel } from '../../model/log-record.js';
import type { ApplianceConfig } from '../../model/schema.js';
import { serial } from '../../serial.js';
import type { DesiredInput, PartApplyResult, PartDriver, ProbeResult, ServerObservation } from '../driver.js';
import { readCertificateFile } from './certificate-file.js';
import { describeModelChanges, differsInWeightsOnly } from './changes.js';
import { certificateFiles, type Layer7ServerEntry } from './model.js';
import { effectiveCapabilities, probeLayer7 } from './probe.js';
import { type Layer7Rendered, renderLayer7 } from './render.js';
import { describeAction, planRuntime, type RuntimeAction } from './states.js';
import { layer7StatRows, observationsFrom } from './stats.js';
import type { TproxyRouting } from './tproxy-routing.js';

/** What the driver needs of the supervisor: @sluice/haproxy-config's Supervisor, or a fake in unit tests. */
export interface Layer7Supervisor {
  start(text: string): Promise<ApplyResult>;
  /** Takes over the HAProxy an earlier run left on the master socket; undefined when there is none. */
  adopt(text: string): Promise<ApplyResult | undefined>;
  apply(text: string): Promise<ApplyResult>;
  /** Lets go of HAProxy, leaving it serving. */
  detach(): Promise<void>;
  stop(): Promise<void>;
  runtime(): Pick<RuntimeClient, 'showStat' | 'showServersState' | 'setServerState' | 'setWeight' | 'dumpServersState'>;
  readonly pid: number | undefined;
  /** `exit` (code, signal, output), `restart` (pid), `restart-failed` (error): the Supervisor's events. */
  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's listener type, which the real Supervisor has.
  on(event: 'exit' | 'restart' | 'restart-failed', listener: (...args: any[]) => void): unknown;
}

export interface Layer7DriverOptions {
  /** haproxy.cfg, the master and admin sockets and the server-state file live here (created 0700). */
  stateDir: string;
  /**
   * The log book. The engine logs what apply() and drift() return; the driver writes to
   * the `layer7` channel what only it sees: HAProxy exiting and restarting, health transitions.
   */
  logs: Pick<LogBook, 'write'>;
  /** Default `haproxy` on PATH. */
  binary?: string;
  /** Run HAProxy inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** HAProxy's own traffic log targets (default none). */
  haproxyLog?: LogTarget[];
  /** Replaces the supervisor (unit tests). */
  supervisor?: (options: SupervisorOptions) => Layer7Supervisor;
  /** Runs `haproxy -v` and `haproxy -c` (unit tests). */
  runner?: ProcessRunner;
  /** The effective capabilities (unit tests); default `/proc/self/status`. */
  capabilities?: () => Promise<bigint | undefined>;
  /** How long HAProxy may take to start or reload (default 15 s). */
  readyTimeoutMs?: number;
  /**
   * The policy routing TPROXY needs, set up after an apply that runs a transparent backend
   * and removed after one that leaves none (the daemon gives it; unit tests do not).
   */
  tproxyRouting?: TproxyRouting;
}

/** The Layer 7 driver, with the statistics report the engine's `layer7Stats()` serves. */
export interface Layer7Driver extends PartDriver {
  /** Every frontend, backend and server row of `show stat` (empty while HAProxy is not running). */
  stats(): Promise<Layer7StatRow[]>;
  /** The HAProxy master's pid while it runs. */
  readonly pid: number | undefined;
  /**
   * Stops HAProxy itself: an explicit stop of the data plane (and tests). `stop()` leaves
   * HAProxy serving, for the next run to adopt.
   */
  stopDataPlane(): Promise<void>;
}

/** HAProxy refused a configuration (`haproxy -c`); the running one keeps serving. */
export class HaproxyRefusedError extends ApplianceError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[], when: 'start' | 'reload') {
    const alerts = diagnostics.filter((d) => d.severity === 'alert');
    const shown = (alerts.length > 0 ? alerts : diagnostics)
      .slice(0, 5)
      .map((d) => (d.line === undefined ? d.message : `line ${d.line}: ${d.message}`));
    const kept = when === 'reload' ? 'the running configuration keeps serving' : 'HAProxy was not started';
    super('ENGINE_APPLY_FAILED', `HAProxy refused the Layer 7 configuration (${kept}): ${shown.join('; ')}`);
    this.diagnostics = diagnostics;
  }
}

const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;

interface Running {
  supervisor: Layer7Supervisor;
  rendered: Layer7Rendered;
  input: DesiredInput;
  /** SHA-256 of each certificate file HAProxy loaded: a file replaced in place needs a reload too. */
  certificates: string;
}

/**
 * Layer 7 services and SSL terminations through HAProxy. `apply()` renders the
 * configuration; an unchanged text with other admin states (or weights only) goes through
 * the runtime API without a reload, anything else through the supervisor's
 * validate-then-hitless-reload. Calls are serialised.
 *
 * - Admin states: online -> `ready`, drain -> `drain`, offline -> `maint`. They live in
 *   HAProxy, saved to the server-state file after each runtime change and before each
 *   reload, and are put back after a start, a restart and any out-of-band change (drift).
 * - Health: HAProxy checks Layer 7 real servers itself; the engine's health for them
 *   (`DesiredInput.server().health`) is not used, and `observe()` reports HAProxy's.
 * - HA: both nodes run HAProxy (`DesiredInput.active` is not used); binds are
 *   `transparent`, so the passive node listens on VIPs it does not hold, and serves as
 *   soon as the floating IP arrives.
 * - No Layer 7 service and no SSL termination: HAProxy is stopped (and not needed).
 * - `stop()` (the daemon stops) leaves HAProxy serving, as Layer 4 leaves IPVS: the next
 *   run adopts the same process through the master socket (a hitless reload when the
 *   configuration changed meanwhile), so a restart of the daemon cuts no connection.
 */
export function createLayer7Driver(options: Layer7DriverOptions): Layer7Driver {
  if (options.netns !== undefined && !NETNS.test(options.netns)) {
    throw new ApplianceError('ENGINE_UNAVAILABLE', `netns ${JSON.stringify(options.netns)} is not a namespace name`, {
      field: 'netns',
    });
  }
  const binary = options.binary ?? 'haproxy';
  const runner = options.runner ?? execFileRunner;
  const paths = {
    config: join(options.stateDir, 'haproxy.cfg'),
    master: join(options.stateDir, 'master.sock'),
    admin: join(options.stateDir, 'admin.sock'),
    state: join(options.stateDir, 'server-state'),
  };
  const modelOptions = {
    adminSocket: paths.admin,
    serverStateFile: paths.state,
    ...(options.haproxyLog === undefined ? {} : { log: options.haproxyLog }),
  };
  const log = (level: LogLevel, message: string, fields?: Record<string, string | number | boolean | null>) =>
    options.logs.write('layer7', level, message, fields);

  let running: Running | undefined;
  const lastHealth = new Map<string, string>();

  /** One call at a time: applies, drift repair, restarts and stop never interleave. */
  const calls = serial();

  const launcher: Launcher | undefined =
    options.netns === undefined
      ? undefined
      : (args, spawnOptions) => spawn('ip', ['netns', 'exec', options.netns as string, binary, ...args], spawnOptions);

  const makeSupervisor = (): Layer7Supervisor => {
    const supervisorOptions: SupervisorOptions = {
      configPath: paths.config,
      masterSocket: paths.master,
      stateFile: paths.state,
      binary,
      ...(options.runner ? { runner: options.runner } : {}),
      ...(launcher ? { launcher } : {}),
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
    };
    const supervisor = options.supervisor ? options.supervisor(supervisorOptions) : new Supervisor(supervisorOptions);
    supervisor.on('exit', (code: number | null, signal: string | null, output: string) => {
      log('error', `HAProxy exited on its own (${signal ?? `code ${code}`}); starting it again`, {
        output: output.trim().slice(-500),
      });
    });
    supervisor.on('restart', (pid: number | undefined) => {
      log('warn', `HAProxy runs again (pid ${pid}); putting admin states and weights back`);
      void calls(async () => {
        if (running?.supervisor !== supervisor) return;
        for (const line of await syncRuntime(running, undefined)) log('info', line);
      }).catch((error: unknown) => log('error', `admin states after the restart: ${String(error)}`));
    });
    supervisor.on('restart-failed', (error: unknown) => {
      log('error', `HAProxy did not start again: ${error instanceof Error ? error.message : String(error)}`);
    });
    return supervisor;
  };

  /** Checks the certificate files the SSL terminations use; returns their fingerprint. */
  async function checkCertificates(config: ApplianceConfig): Promise<string> {
    const hash = createHash('sha256');
    for (const { file, field } of certificateFiles(config)) {
      // Bounded: a FIFO or /dev/zero in the configuration must not hold the apply queue.
      const pem = await readCertificateFile(file, field);
      if (!pem.includes('-----BEGIN CERTIFICATE-----') || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
        throw new ApplianceError(
          'CERTIFICATE_INVALID',
          `${field}: ${file} must hold the certificate chain and its private key in PEM, as HAProxy's crt takes it`,
          { field },
        );
      }
      hash.update(`${file}\0${pem}\0`);
    }
    return hash.digest('hex');
  }

  /** Admin states and weights, through the runtime API; `services` limits the work (scope hint). */
  async function syncRuntime(state: Running, services: ReadonlySet<string> | undefined): Promise<string[]> {
    const runtime = state.supervisor.runtime();
    const entries = state.rendered.servers.filter((e) => services === undefined || services.has(e.service));
    if (entries.length === 0) return [];
    const actual =
      services === undefined
        ? await runtime.showServersState()
        : (await Promise.all([...services].map((s) => runtime.showServersState(s).catch(() => [])))).flat();
    const actions = planRuntime(
      entries,
      actual,
      (entry: Layer7ServerEntry) =>
        state.input.server({ layer: 'layer7', service: entry.service, server: entry.server }).admin,
    );
    for (const action of actions) await perform(runtime, action);
    if (actions.length > 0) await saveServerStates(runtime);
    return actions.map(describeAction);
  }

  /**
   * The supervisor saves server states before each reload; saving them after a runtime
   * change too means an HAProxy that dies and restarts comes back with them at once.
   */
  async function saveServerStates(runtime: ReturnType<Layer7Supervisor['runtime']>): Promise<void> {
    try {
      const tmp = `${paths.state}.tmp`;
      await writeFile(tmp, await runtime.dumpServersState(), { mode: 0o600 });
      await rename(tmp, paths.state);
    } catch (error) {
      log('warn', `could not save server states to ${paths.state}: ${String(error)}`);
    }
  }

  async function perform(runtime: ReturnType<Layer7Supervisor['runtime']>, action: RuntimeAction): Promise<void> {
    try {
      if (action.kind === 'weight') await runtime.setWeight(action.service, action.server, action.to);
      else await runtime.setServerState(action.service, action.server, action.to);
    } catch (cause) {
      throw new ApplianceError('ENGINE_APPLY_FAILED', `${describeAction(action)}: ${String(cause)}`, { cause });
    }
  }

  async function writeConfigFile(text: string): Promise<void> {
    const tmp = `${paths.config}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, paths.config);
  }

  async function stopHaproxy(): Promise<boolean> {
    const state = running;
    running = undefined;
    lastHealth.clear();
    if (state === undefined) return false;
    await state.supervisor.stop();
    return true;
  }

  /** Lets go of HAProxy and leaves it serving, for the next run to adopt. */
  async function detachHaproxy(): Promise<boolean> {
    const state = running;
    running = undefined;
    lastHealth.clear();
    if (state === undefined) return false;
    await state.supervisor.detach();
    return true;
  }

  /**
   * A configuration that cannot be applied leaves the running one; the admin states asked
   * for still reach it (taking a server offline must not wait for a fixed configuration).
   */
  async function applyNow(input: DesiredInput): Promise<PartApplyResult> {
    try {
      return await applyInput(input);
    } catch (error) {
      const state = running;
      if (state !== undefined && state.input !== input) {
        try {
          const lines = await syncRuntime({ ...state, input }, undefined);
          for (const line of lines) log('info', `${line} (on the running configuration)`);
        } catch (syncError) {
          log('warn', `admin states on the running configuration: ${String(syncError)}`);
        }
      }
      throw error;
    }
  }

  async function applyInput(input: DesiredInput): Promise<PartApplyResult> {
    if (running !== undefined && input.config === running.input.config) {
      // The same configuration object (a runtime change: admin state): no need to render
      // 10,000 servers again to find out the text did not change.
      running = { ...running, input };
      const notes = running.rendered.notes;
      return {
        changes: await syncRuntime(running, scopeOf(input)),
        ...(notes.length > 0 ? { detail: notes.join('; ') } : {}),
      };
    }
    const rendered = renderLayer7(input.config, modelOptions);
    const changes: string[] = [];
    const detail = rendered.notes.length > 0 ? rendered.notes.join('; ') : undefined;
    const result = (): PartApplyResult => ({ changes, ...(detail === undefined ? {} : { detail }) });

    if (rendered.model.frontends.length === 0) {
      if (await stopHaproxy()) changes.push('layer7: stop HAProxy (no Layer 7 service or SSL termination left)');
      return result();
    }
    const certificates = await checkCertificates(input.config);

    let services: ReadonlySet<string> | undefined;
    if (running === undefined) {
      await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
      const supervisor = makeSupervisor();
      // The HAProxy an earlier run left (the daemon stopped or died) is the data plane:
      // taken over as it runs, never replaced, so that its connections go on.
      let adopted: ApplyResult | undefined;
      try {
        adopted = await supervisor.adopt(rendered.text);
      } catch (cause) {
        await supervisor.detach().catch(() => undefined);
        throw new ApplianceError('ENGINE_APPLY_FAILED', `HAProxy reload failed: ${String(cause)}`, { cause });
      }
      if (adopted !== undefined) {
        if (!adopted.applied) {
          // It keeps serving what it ran; the next apply adopts it again.
          await supervisor.detach().catch(() => undefined);
          throw new HaproxyRefusedError(adopted.diagnostics, 'reload');
        }
        changes.push(`layer7: adopt the HAProxy an earlier run left (pid ${supervisor.pid ?? '?'}), connections kept`);
        if ((adopted.reload ?? 0) > 0) {
          changes.push(`layer7: hitless reload #${adopted.reload} for the configuration it did not run yet`);
        }
      } else {
        let started: ApplyResult;
        try {
          started = await supervisor.start(rendered.text);
        } catch (cause) {
          await supervisor.stop().catch(() => undefined);
          throw new ApplianceError('ENGINE_APPLY_FAILED', `HAProxy did not start: ${String(cause)}`, { cause });
        }
        if (!started.applied) {
          await supervisor.stop().catch(() => undefined);
          throw new HaproxyRefusedError(started.diagnostics, 'start');
        }
        changes.push(...describeModelChanges(undefined, rendered.model));
        changes.push(`layer7: start HAProxy (pid ${supervisor.pid ?? '?'})`);
      }
      running = { supervisor, rendered, input, certificates };
    } else if (rendered.text === running.rendered.text && certificates === running.certificates) {
      running = { ...running, rendered, input };
      // Nothing in the text changed: only admin states can differ, and the scope says where.
      services = scopeOf(input);
    } else if (certificates === running.certificates && differsInWeightsOnly(running.rendered.text, rendered.text)) {
      // Weights go through `set weight`; the file follows so that a restart starts with them.
      running = { ...running, rendered, input };
      await writeConfigFile(rendered.text);
    } else {
      let reloaded: ApplyResult;
      try {
        reloaded = await running.supervisor.apply(rendered.text);
      } catch (cause) {
        throw new ApplianceError('ENGINE_APPLY_FAILED', `HAProxy reload failed: ${String(cause)}`, { cause });
      }
      if (!reloaded.applied) {
        throw new HaproxyRefusedError(reloaded.diagnostics, 'reload');
      }
      changes.push(...describeModelChanges(running.rendered.model, rendered.model));
      if (certificates !== running.certificates && rendered.text === running.rendered.text) {
        changes.push('layer7: reload for a certificate file whose content changed');
      }
      changes.push(
        `layer7: hitless reload #${reloaded.reload ?? '?'} (master pid ${running.supervisor.pid ?? '?'} kept)`,
      );
      running = { ...running, rendered, input, certificates };
    }
    changes.push(...(await syncRuntime(running, services)));
    return result();
  }

  /** After a successful apply only: a refused configuration leaves the routing as it was. */
  async function routeTproxy(input: DesiredInput, result: PartApplyResult): Promise<PartApplyResult> {
    if (options.tproxyRouting === undefined) return result;
    const wanted = running?.rendered.model.backends.some((b) => b.transparent === true) ?? false;
    const at = input.config.layer7.findIndex((s) => s.tproxy);
    const changes = await options.tproxyRouting.sync(wanted, at < 0 ? 'layer7' : `layer7[${at}].tproxy`);
    return changes.length === 0 ? result : { ...result, changes: [...result.changes, ...changes] };
  }

  const scopeOf = (input: DesiredInput): ReadonlySet<string> | undefined =>
    input.scope === undefined
      ? undefined
      : new Set(input.scope.filter((s) => s.layer === 'layer7').map((s) => s.service));

  /** `show stat` as observeNow() last read it: /metrics renders it (no reading of its own). */
  let lastRows: readonly StatRow[] | undefined;

  async function observeNow(): Promise<Map<string, ServerObservation>> {
    const state = running;
    if (state === undefined) {
      lastRows = undefined;
      return new Map();
    }
    const rows = await state.supervisor.runtime().showStat();
    lastRows = rows;
    const observations = observationsFrom(rows, state.rendered.servers);
    for (const [key, observation] of observations) {
      const reading = `${observation.health}${observation.healthReason ? ` (${observation.healthReason})` : ''}`;
      const before = lastHealth.get(key);
      if (before !== undefined && before !== reading) {
        log(
          observation.health === 'down' ? 'warn' : 'info',
          `${key.slice('layer7/'.length)} is ${reading}, was ${before}`,
        );
      }
      lastHealth.set(key, reading);
    }
    return observations;
  }

  const driver: Layer7Driver = {
    part: 'layer7',
    get pid() {
      return running?.supervisor.pid;
    },
    probe(): Promise<ProbeResult> {
      return probeLayer7({
        binary,
        runner,
        capabilities: options.capabilities ?? effectiveCapabilities,
        socketPaths: [paths.master, paths.admin],
      });
    },
    apply: (input) => calls(() => applyNow(input).then((result) => routeTproxy(input, result))),
    observe: () => calls(observeNow),
    lastStatRows: () => lastRows,
    async stats() {
      const state = running;
      if (state === undefined) return [];
      return layer7StatRows(await state.supervisor.runtime().showStat());
    },
    drift: () =>
      calls(async () => {
        const lines = running === undefined ? [] : await syncRuntime(running, undefined);
        const routing = options.tproxyRouting === undefined ? [] : await options.tproxyRouting.repair();
        return [...lines, ...routing];
      }),
    // The daemon stops: HAProxy is the data plane and goes on serving (as IPVS does).
    stop: () =>
      calls(async () => {
        if (await detachHaproxy()) log('info', 'layer7: HAProxy left running for the next start to adopt');
      }),
    stopDataPlane: () =>
      calls(async () => {
        if (await stopHaproxy()) log('info', 'layer7: HAProxy stopped');
      }),
  };
  return driver;
}
