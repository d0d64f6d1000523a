// The driver's decisions with a fake supervisor: what reloads, what goes through the runtime
// API, what is refused. The real HAProxy runs in layer7.netns.test.ts.
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApplyResult,
  type Diagnostic,
  HaproxyConfigError,
  type ProcessRunner,
  parseStat,
  type ServerState,
  type StatRow,
  type SupervisorOptions,
} from '@sluice/haproxy-config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplianceError } from '../../errors.js';
import type { LogBook } from '../../logs/contract.js';
import type { AdminState } from '../../model/admin-state.js';
import type { LogRecord } from '../../model/log-record.js';
import { type ApplianceConfigInput, configSchema } from '../../model/schema.js';
import type { DesiredInput } from '../driver.js';
import { createLayer7Driver, HaproxyRefusedError, type Layer7Driver, type Layer7Supervisor } from './index.js';

type Listener = (...args: never[]) => void;

/** Keeps server states the way HAProxy does across reloads (the server-state file). */
class FakeSupervisor implements Layer7Supervisor {
  readonly calls: string[] = [];
  readonly listeners = new Map<string, Listener[]>();
  readonly states = new Map<string, { admin: 'ready' | 'drain' | 'maint'; weight: number; initial: number }>();
  refuse: Diagnostic[] | undefined;
  pid: number | undefined;
  text: string | undefined;

  constructor(readonly options: SupervisorOptions) {}

  private load(text: string): void {
    let backend = '';
    const seen = new Set<string>();
    for (const line of text.split('\n')) {
      const b = /^backend (\S+)/.exec(line);
      if (b) backend = b[1] as string;
      const s = /^ {4}server (\S+) \S+ weight (\d+)/.exec(line);
      if (!s) continue;
      const key = `${backend}/${s[1]}`;
      const weight = Number(s[2]);
      const old = this.states.get(key);
      seen.add(key);
      // As load-server-state-from-file: the saved weight only when the configured one is unchanged.
      this.states.set(key, {
        admin: old?.admin ?? 'ready',
        weight: old && old.initial === weight ? old.weight : weight,
        initial: weight,
      });
    }
    for (const key of this.states.keys()) if (!seen.has(key)) this.states.delete(key);
  }

  private result(): ApplyResult {
    return this.refuse ? { applied: false, diagnostics: this.refuse } : { applied: true, diagnostics: [], reload: 1 };
  }

  async start(text: string): Promise<ApplyResult> {
    this.calls.push('start');
    if (this.refuse) return this.result();
    this.pid = 4242;
    this.text = text;
    this.load(text);
    return this.result();
  }

  async apply(text: string): Promise<ApplyResult> {
    this.calls.push('reload');
    if (this.refuse) return this.result();
    this.text = text;
    this.load(text);
    return this.result();
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
    this.pid = undefined;
  }

  /** HAProxy left running by an earlier run (what `adopt()` finds on the master socket). */
  static left: { pid: number; text: string } | undefined;

  async adopt(text: string): Promise<ApplyResult | undefined> {
    const left = FakeSupervisor.left;
    if (left === undefined) return undefined;
    this.calls.push('adopt');
    FakeSupervisor.left = undefined;
    this.pid = left.pid;
    this.text = left.text;
    this.load(left.text);
    if (left.text === text) return { applied: true, diagnostics: [], reload: 0 };
    if (this.refuse) return this.result();
    this.text = text;
    this.load(text);
    return this.result();
  }

  async detach(): Promise<void> {
    this.calls.push('detach');
    if (this.pid !== undefined && this.text !== undefined) FakeSupervisor.left = { pid: this.pid, text: this.text };
    this.pid = undefined;
  }

  /** HAProxy died and came back with the file on disk: admin states are lost. */
  restart(): void {
    for (const state of this.states.values()) state.admin = 'ready';
    for (const listener of this.listeners.get('restart') ?? []) (listener as (pid: number) => void)(4343);
  }

  runtime() {
    return {
      showStat: async (): Promise<StatRow[]> => {
        const lines = ['# pxname,svname,scur,stot,bin,bout,status,weight,type,check_status,last_chk,check_code'];
        for (const [key, s] of this.states) {
          const [backend, server] = key.split('/');
          const status = s.admin === 'maint' ? 'MAINT' : s.admin === 'drain' ? 'DRAIN' : 'no check';
          lines.push(`${backend},${server},2,10,100,200,${status},${s.weight},2,,,`);
        }
        return parseStat(lines.join('\n'));
      },
      showServersState: async (backend?: string): Promise<ServerState[]> =>
        [...this.states]
          .filter(([key]) => backend === undefined || key.startsWith(`${backend}/`))
          .map(([key, s], i) => {
            const [b, server] = key.split('/') as [string, string];
            return {
              backendId: 1,
              backend: b,
              serverId: i + 1,
              server,
              address: '198.51.100.1',
              port: 80,
              operationalState: 2,
              adminState: s.admin,
              adminStateBits: s.admin === 'maint' ? 1 : s.admin === 'drain' ? 8 : 0,
              userWeight: s.weight,
              initialWeight: s.initial,
              raw: {},
            };
          }),
      setServerState: async (backend: string, server: string, state: 'ready' | 'drain' | 'maint') => {
        this.calls.push(`state ${backend}/${server} ${state}`);
        const s = this.states.get(`${backend}/${server}`);
        if (!s) throw new HaproxyConfigError('HAPROXY_COMMAND_FAILED', 'No such server.');
        s.admin = state;
      },
      dumpServersState: async () => {
        this.calls.push('dump');
        return '1\n# be_name srv_name\n';
      },
      setWeight: async (backend: string, server: string, weight: number) => {
        this.calls.push(`weight ${backend}/${server} ${weight}`);
        const s = this.states.get(`${backend}/${server}`);
        if (!s) throw new HaproxyConfigError('HAPROXY_COMMAND_FAILED', 'No such server.');
        s.weight = weight;
      },
    } as unknown as ReturnType<Layer7Supervisor['runtime']>;
  }

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
}

const web = {
  label: 'web',
  vip: '192.0.2.10',
  ports: [80],
  realServers: [
    { label: 'alpha', address: '198.51.100.11', port: 8080 },
    { label: 'bravo', address: '198.51.100.12', port: 8080 },
  ],
};

let dir: string;
let supervisors: FakeSupervisor[];
let records: LogRecord[];
let admin: Map<string, AdminState>;
let driver: Layer7Driver;
let version: number;

const logs: LogBook = {
  write(channel, level, message, fields) {
    const record: LogRecord = {
      seq: records.length + 1,
      time: '2026-01-01T00:00:00.000Z',
      channel,
      level,
      message,
      ...(fields ? { fields } : {}),
    };
    records.push(record);
    return record;
  },
  query: () => records,
  follow: () => () => undefined,
};

function input(config: ApplianceConfigInput, scope?: DesiredInput['scope']): DesiredInput {
  return {
    version: ++version,
    config: configSchema.parse(config),
    server: (ref) => ({ admin: admin.get(`${ref.service}/${ref.server}`) ?? 'online', health: 'unknown' }),
    ...(scope ? { scope } : {}),
  };
}

const current = () => supervisors.at(-1) as FakeSupervisor;

beforeEach(async () => {
  FakeSupervisor.left = undefined;
  dir = await mkdtemp(join(tmpdir(), 'sluice-l7-unit-'));
  supervisors = [];
  records = [];
  admin = new Map();
  version = 0;
  driver = createLayer7Driver({
    stateDir: join(dir, 'state'),
    logs,
    supervisor: (options) => {
      const fake = new FakeSupervisor(options);
      supervisors.push(fake);
      return fake;
    },
  });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('apply', () => {
  it('starts HAProxy with the rendered configuration and its files in the state directory', async () => {
    const { changes } = await driver.apply(input({ layer7: [web] }));
    expect(changes).toEqual([
      'layer7: add service web (192.0.2.10:80 http -> web)',
      'layer7: start HAProxy (pid 4242)',
    ]);
    expect(current().options).toMatchObject({
      configPath: join(dir, 'state', 'haproxy.cfg'),
      masterSocket: join(dir, 'state', 'master.sock'),
      stateFile: join(dir, 'state', 'server-state'),
      binary: 'haproxy',
    });
    expect(current().text).toContain(`server-state-file ${join(dir, 'state', 'server-state')}`);
    expect(current().text).toContain(`stats socket ${join(dir, 'state', 'admin.sock')}`);
    expect(driver.pid).toBe(4242);
    // The engine logs what apply() returns; the driver adds nothing of its own here.
    expect(records).toEqual([]);
  });

  it('is idempotent: the same configuration changes nothing and reloads nothing', async () => {
    await driver.apply(input({ layer7: [web] }));
    expect(await driver.apply(input({ layer7: [web] }))).toEqual({ changes: [] });
    expect(current().calls).toEqual(['start']);
  });

  it('admin states go through the runtime API only, limited to the scope', async () => {
    await driver.apply(input({ layer7: [web, { ...web, label: 'other', ports: [81] }] }));
    admin.set('web/alpha', 'offline');
    admin.set('web/bravo', 'drain');
    // A scope that names another service: web is not looked at.
    expect(
      (
        await driver.apply(
          input({ layer7: [web, { ...web, label: 'other', ports: [81] }] }, [{ layer: 'layer7', service: 'other' }]),
        )
      ).changes,
    ).toEqual([]);
    const { changes } = await driver.apply(
      input({ layer7: [web, { ...web, label: 'other', ports: [81] }] }, [{ layer: 'layer7', service: 'web' }]),
    );
    expect(changes).toEqual([
      'layer7: web/alpha offline (HAProxy state ready -> maint, no reload)',
      'layer7: web/bravo drain (HAProxy state ready -> drain, no reload)',
    ]);
    expect(current().calls).toEqual(['start', 'state web/alpha maint', 'state web/bravo drain', 'dump']);
    expect(driver.lastStatRows?.()).toBeUndefined();
    const observed = await driver.observe();
    // The `show stat` it read is kept for /metrics, every row as HAProxy gave it.
    expect(driver.lastStatRows?.()?.find((r) => r.proxy === 'web' && r.name === 'alpha')).toMatchObject({
      type: 'server',
      currentSessions: 2,
      bytesIn: 100,
    });
    expect(observed.get('layer7/web/alpha')).toEqual({
      activeConnections: 2,
      inactiveConnections: 0,
      bytesIn: 100,
      bytesOut: 200,
      health: 'unchecked',
      effectiveWeight: 0,
    });
    expect(observed.get('layer7/other/alpha')?.effectiveWeight).toBe(1);
  });

  it('a runtime change with the same configuration object goes straight to the runtime API', async () => {
    const first = input({ layer7: [web] });
    await driver.apply(first);
    admin.set('web/bravo', 'offline');
    const { changes } = await driver.apply({ ...first, version: 2, scope: [{ layer: 'layer7', service: 'web' }] });
    expect(changes).toEqual(['layer7: web/bravo offline (HAProxy state ready -> maint, no reload)']);
    admin.set('web/bravo', 'online');
    // Another service in the scope: web is left alone.
    expect(
      (await driver.apply({ ...first, version: 3, scope: [{ layer: 'layer4', service: 'web' }] })).changes,
    ).toEqual([]);
    expect((await driver.apply({ ...first, version: 4 })).changes).toEqual([
      'layer7: web/bravo online (HAProxy state maint -> ready, no reload)',
    ]);
    expect(current().calls).toEqual(['start', 'state web/bravo maint', 'dump', 'state web/bravo ready', 'dump']);
  });

  it('a server offline before HAProxy starts is put in maintenance right after the start', async () => {
    admin.set('web/bravo', 'offline');
    const { changes } = await driver.apply(input({ layer7: [web] }));
    expect(changes.at(-1)).toBe('layer7: web/bravo offline (HAProxy state ready -> maint, no reload)');
    expect(current().calls).toEqual(['start', 'state web/bravo maint', 'dump']);
  });

  it('weights alone change through set weight, and the file on disk follows', async () => {
    await driver.apply(input({ layer7: [web] }));
    const heavier = {
      ...web,
      realServers: [
        { label: 'alpha', address: '198.51.100.11', port: 8080 },
        { label: 'bravo', address: '198.51.100.12', port: 8080, weight: 5 },
      ],
    };
    const { changes } = await driver.apply(input({ layer7: [heavier] }));
    expect(changes).toEqual(['layer7: set weight web/bravo 1 -> 5']);
    expect(current().calls).toEqual(['start', 'weight web/bravo 5', 'dump']);
    expect(await readFile(join(dir, 'state', 'haproxy.cfg'), 'utf8')).toContain(
      'server bravo 198.51.100.12:8080 weight 5',
    );
  });

  it('anything else reloads once, describes the change, and admin states survive it', async () => {
    admin.set('web/alpha', 'offline');
    await driver.apply(input({ layer7: [web] }));
    const more = {
      ...web,
      persistence: { type: 'source-ip' as const },
      realServers: [...web.realServers, { label: 'charlie', address: '198.51.100.13', port: 8080 }],
    };
    const { changes } = await driver.apply(input({ layer7: [more] }));
    expect(changes).toEqual([
      'layer7: change balancing, persistence or health check of web',
      'layer7: add real server web/charlie (198.51.100.13:8080)',
      'layer7: hitless reload #1 (master pid 4242 kept)',
    ]);
    expect(current().calls).toEqual(['start', 'state web/alpha maint', 'dump', 'reload']);
    expect(current().states.get('web/alpha')?.admin).toBe('maint');
  });

  it('a configuration HAProxy refuses throws with the diagnostics and leaves the running one', async () => {
    await driver.apply(input({ layer7: [web] }));
    const running = current().text;
    current().refuse = [{ severity: 'alert', line: 12, message: "unable to load SSL certificate '/x.pem'" }];
    const failure = await driver.apply(input({ layer7: [{ ...web, tproxy: true }] })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HaproxyRefusedError);
    expect(failure).toBeInstanceOf(ApplianceError);
    expect(failure).toMatchObject({
      code: 'ENGINE_APPLY_FAILED',
      diagnostics: [{ severity: 'alert', line: 12, message: "unable to load SSL certificate '/x.pem'" }],
    });
    expect((failure as Error).message).toBe(
      "HAProxy refused the Layer 7 configuration (the running configuration keeps serving): line 12: unable to load SSL certificate '/x.pem'",
    );
    expect(current().text).toBe(running);
    // The driver still knows the running configuration: applying it again is a no-op.
    current().refuse = undefined;
    expect(await driver.apply(input({ layer7: [web] }))).toEqual({ changes: [] });
  });

  it('admin states reach the running configuration even when a new one is refused', async () => {
    await driver.apply(input({ layer7: [web] }));
    current().refuse = [{ severity: 'alert', message: 'bad' }];
    admin.set('web/alpha', 'offline');
    await expect(driver.apply(input({ layer7: [{ ...web, tproxy: true }] }))).rejects.toBeInstanceOf(
      HaproxyRefusedError,
    );
    expect(current().states.get('web/alpha')?.admin).toBe('maint');
    expect(records.at(-1)?.message).toBe(
      'layer7: web/alpha offline (HAProxy state ready -> maint, no reload) (on the running configuration)',
    );
  });

  it('a refused first start leaves nothing running', async () => {
    const failing = createLayer7Driver({
      stateDir: join(dir, 'state'),
      logs,
      supervisor: (options) => {
        const fake = new FakeSupervisor(options);
        fake.refuse = [{ severity: 'alert', message: 'bad' }];
        supervisors.push(fake);
        return fake;
      },
    });
    await expect(failing.apply(input({ layer7: [web] }))).rejects.toMatchObject({ code: 'ENGINE_APPLY_FAILED' });
    expect(current().calls).toEqual(['start', 'stop']);
    expect(failing.pid).toBeUndefined();
  });

  it('a configuration the renderer refuses names the field and touches nothing', async () => {
    await driver.apply(input({ layer7: [web] }));
    const config = configSchema.parse({ layer7: [web] });
    Object.assign(config.layer7[0] as object, { vip: '192.0.2.10\nlisten evil' });
    const failure = await driver
      .apply({ version: 9, config, server: () => ({ admin: 'online', health: 'unknown' }) })
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'CONFIG_INVALID', field: 'layer7[0].vip' });
    expect(current().calls).toEqual(['start']);
  });

  it('certificates are checked before HAProxy sees them, and a file changed in place reloads', async () => {
    const pem = join(dir, 'site.pem');
    const ssl = (file: string): ApplianceConfigInput => ({
      layer7: [web],
      certificates: [{ label: 'site', file }],
      ssl: [{ label: 'tls', certificate: 'site', vip: '192.0.2.10', service: 'web' }],
    });
    await expect(driver.apply(input(ssl(pem)))).rejects.toMatchObject({
      code: 'CERTIFICATE_INVALID',
      field: 'certificates[0].file',
    });
    await writeFile(pem, 'just text');
    await expect(driver.apply(input(ssl(pem)))).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID' });
    expect(supervisors).toEqual([]);
    const body =
      '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n';
    await writeFile(pem, body);
    await driver.apply(input(ssl(pem)));
    expect((await driver.apply(input(ssl(pem)))).changes).toEqual([]);
    await writeFile(pem, body.replace('AA==', 'AB=='));
    const { changes } = await driver.apply(input(ssl(pem)));
    expect(changes).toEqual([
      'layer7: reload for a certificate file whose content changed',
      'layer7: hitless reload #1 (master pid 4242 kept)',
    ]);
  });

  it('a certificate file that is a FIFO or /dev/zero fails the apply at once, and the next apply runs', async () => {
    const ssl = (file: string): ApplianceConfigInput => ({
      layer7: [web],
      certificates: [{ label: 'site', file }],
      ssl: [{ label: 'tls', certificate: 'site', vip: '192.0.2.10', service: 'web' }],
    });
    const fifo = join(dir, 'fifo.pem');
    execFileSync('mkfifo', [fifo]);
    try {
      await expect(driver.apply(input(ssl(fifo)))).rejects.toMatchObject({
        code: 'CERTIFICATE_INVALID',
        field: 'certificates[0].file',
        message: expect.stringContaining('is a FIFO'),
      });
    } finally {
      // A reader stuck in a blocking open of the FIFO (the old code) gets its end of file.
      const writer = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
      await writer?.close();
    }
    await expect(driver.apply(input(ssl('/dev/zero')))).rejects.toMatchObject({
      code: 'CERTIFICATE_INVALID',
      field: 'certificates[0].file',
      message: expect.stringContaining('is a device'),
    });
    expect(supervisors).toEqual([]);
    await driver.apply(input({ layer7: [web] }));
    expect(current().calls).toEqual(['start']);
  });

  it('stops HAProxy when nothing of Layer 7 is left; starts it again when something is', async () => {
    await driver.apply(input({ layer7: [web] }));
    expect((await driver.apply(input({}))).changes).toEqual([
      'layer7: stop HAProxy (no Layer 7 service or SSL termination left)',
    ]);
    expect(driver.pid).toBeUndefined();
    expect((await driver.apply(input({}))).changes).toEqual([]);
    await driver.apply(input({ layer7: [web] }));
    expect(supervisors).toHaveLength(2);
    await driver.stopDataPlane();
    expect(current().calls).toEqual(['start', 'stop']);
  });

  it('stop() leaves HAProxy serving; the next driver adopts it, reloading only for another configuration', async () => {
    await driver.apply(input({ layer7: [web] }));
    await driver.stop();
    expect(current().calls).toEqual(['start', 'detach']);
    expect(driver.pid).toBeUndefined();

    const next = () =>
      createLayer7Driver({
        stateDir: join(dir, 'state'),
        logs,
        supervisor: (options) => {
          const fake = new FakeSupervisor(options);
          supervisors.push(fake);
          return fake;
        },
      });
    const second = next();
    expect((await second.apply(input({ layer7: [web] }))).changes).toEqual([
      'layer7: adopt the HAProxy an earlier run left (pid 4242), connections kept',
    ]);
    expect(current().calls).toEqual(['adopt']);
    expect(second.pid).toBe(4242);
    await second.stop();

    const third = next();
    const other = { ...web, ports: [8080] };
    expect((await third.apply(input({ layer7: [other] }))).changes).toEqual([
      'layer7: adopt the HAProxy an earlier run left (pid 4242), connections kept',
      'layer7: hitless reload #1 for the configuration it did not run yet',
    ]);
    expect(current().calls).toEqual(['adopt']);
    expect(third.pid).toBe(4242);
  });

  it('says in the result what the mapping did on the user’s behalf', async () => {
    const config = { healthChecks: [{ label: 'p', type: 'ping' as const }], layer7: [{ ...web, healthCheck: 'p' }] };
    const first = await driver.apply(input(config));
    expect(first.detail).toContain('HAProxy cannot send ICMP');
    expect(await driver.apply(input(config))).toEqual({ changes: [], detail: first.detail });
  });
});

describe('restarts and drift', () => {
  it('puts admin states back after HAProxy restarted on its own', async () => {
    admin.set('web/alpha', 'offline');
    await driver.apply(input({ layer7: [web] }));
    current().restart();
    await driver.observe(); // queued behind the restart's work
    expect(current().states.get('web/alpha')?.admin).toBe('maint');
    expect(records.some((r) => r.level === 'warn' && r.message.startsWith('HAProxy runs again (pid 4343)'))).toBe(true);
  });

  it('drift() puts back states and weights changed on the socket', async () => {
    await driver.apply(input({ layer7: [web] }));
    const runtime = current().runtime();
    await runtime.setServerState('web', 'alpha', 'maint');
    await runtime.setWeight('web', 'bravo', 7);
    expect(await driver.drift?.()).toEqual([
      'layer7: web/alpha online (HAProxy state maint -> ready, no reload)',
      'layer7: set weight web/bravo 7 -> 1',
    ]);
    expect(await driver.drift?.()).toEqual([]);
  });
});

describe('stats', () => {
  it('returns every row of show stat, and nothing while HAProxy is not running', async () => {
    expect(await driver.stats()).toEqual([]);
    await driver.apply(input({ layer7: [web] }));
    expect(await driver.stats()).toEqual([
      {
        proxy: 'web',
        server: 'alpha',
        status: 'no check',
        currentSessions: 2,
        totalSessions: 10,
        bytesIn: 100,
        bytesOut: 200,
      },
      {
        proxy: 'web',
        server: 'bravo',
        status: 'no check',
        currentSessions: 2,
        totalSessions: 10,
        bytesIn: 100,
        bytesOut: 200,
      },
    ]);
  });
});

describe('probe', () => {
  const probe = (runner: ProcessRunner, capabilities: bigint | undefined = (1n << 12n) | (1n << 10n), stateDir = dir) =>
    createLayer7Driver({ stateDir, logs, runner, capabilities: async () => capabilities }).probe();
  const version =
    (text: string): ProcessRunner =>
    async () => ({ code: 0, stdout: text, stderr: '' });

  it('is available with HAProxy 2.6+ and the capabilities', async () => {
    expect(await probe(version('HAProxy version 2.6.12-1+deb12u4 2026/10/17'))).toEqual({ available: true });
    expect(await probe(version('HAProxy version 3.0.5'))).toEqual({ available: true });
  });

  it('says how to install HAProxy when it is missing', async () => {
    const missing: ProcessRunner = async () => {
      throw new HaproxyConfigError('HAPROXY_BINARY_MISSING', 'haproxy was not found');
    };
    const result = await probe(missing);
    expect(result.available).toBe(false);
    expect(result).toMatchObject({ detail: expect.stringContaining('apt-get install haproxy') });
  });

  it('refuses an HAProxy older than 2.6', async () => {
    expect(await probe(version('HA-Proxy version 2.4.22'))).toMatchObject({
      available: false,
      detail: expect.stringContaining('2.6 or later'),
    });
  });

  it('says to run as root without the capabilities HAProxy binds need', async () => {
    const result = await probe(version('HAProxy version 2.6.12'), 0n);
    expect(result).toMatchObject({ available: false, detail: expect.stringContaining('run the appliance as root') });
    expect(result).toMatchObject({ detail: expect.stringContaining('CAP_NET_ADMIN') });
  });

  it('refuses a state directory whose socket paths are too long for a Unix socket', async () => {
    const result = await probe(version('HAProxy version 2.6.12'), undefined, `/tmp/${'d'.repeat(120)}`);
    expect(result).toMatchObject({ available: false, detail: expect.stringContaining('shorter data directory') });
  });
});

describe('options', () => {
  it('refuses a namespace name that is not one', () => {
    expect(() => createLayer7Driver({ stateDir: dir, logs, netns: 'a b;rm' })).toThrow(
      expect.objectContaining({ code: 'ENGINE_UNAVAILABLE', field: 'netns' }),
    );
  });
});
