import { join } from 'node:path';
import { describeCapabilities } from '../capabilities.js';
import { type Daemon, startDaemon } from '../daemon/daemon.js';
import { ApplianceError } from '../errors.js';
import type { HaLocalOptions } from '../ha/identity.js';
import type { LogLevel } from '../model/log-record.js';
import { LogEcho, runService } from '../service/service-loop.js';
import { confirmSeconds, type LogFormat, readSettings, type ServiceSettings } from '../service/settings-file.js';
import { applianceVersion } from '../version.js';
import { defaultDataDir } from './client.js';
import type { CommandSpec } from './command.js';
import { CliError, EXIT } from './io.js';

function portOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (typeof value !== 'string' || !/^\d{1,5}$/.test(value) || port > 65535) {
    throw new CliError(EXIT.usage, `--${name} must be a port number 0-65535, not ${JSON.stringify(value)}`);
  }
  return port;
}

/** `--ha-peer master@192.0.2.2,198.51.100.2`: the peer's name and one address per heartbeat link. */
function peerOption(value: unknown): NonNullable<HaLocalOptions['peer']> {
  const match = typeof value === 'string' ? /^(?:([A-Za-z0-9_.-]{1,64})@)?([0-9A-Fa-f.:,]+)$/.exec(value) : null;
  if (!match) throw new CliError(EXIT.usage, `--ha-peer must be NAME@ADDRESS[,ADDRESS], not ${JSON.stringify(value)}`);
  return { ...(match[1] ? { name: match[1] } : {}), addresses: (match[2] ?? '').split(',') };
}

function haOptions(values: Record<string, unknown>): HaLocalOptions | undefined {
  const role = values['ha-role'];
  if (role !== undefined && role !== 'master' && role !== 'slave') {
    throw new CliError(EXIT.usage, `--ha-role must be master or slave, not ${JSON.stringify(role)}`);
  }
  const local: HaLocalOptions = {
    ...(role === undefined ? {} : { role }),
    ...(typeof values['ha-name'] === 'string' ? { name: values['ha-name'] } : {}),
    ...(values['ha-peer'] === undefined ? {} : { peer: peerOption(values['ha-peer']) }),
    ...(values['ha-link-port'] === undefined
      ? {}
      : { linkPort: portOption(values['ha-link-port'], 'ha-link-port') ?? 694 }),
    ...(typeof values['ha-peer-url'] === 'string' ? { peerUrl: values['ha-peer-url'] } : {}),
  };
  return Object.keys(local).length === 0 ? undefined : local;
}

function listenError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    const { address, port } = error as { address?: string; port?: number };
    const why = code === 'EADDRINUSE' ? 'is in use' : code === 'EACCES' ? 'needs privileges' : 'is not on this host';
    return new CliError(EXIT.failed, `cannot listen on ${address ?? ''}:${port ?? ''}: the address ${why}`, code);
  }
  if (error instanceof ApplianceError) return new CliError(EXIT.failed, error.message, error.code);
  return error;
}

function choice<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new CliError(EXIT.usage, `--${name} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** `--host-network` and `--network-confirm-seconds`, over the settings file's. */
function hostNetworkOptions(values: Record<string, unknown>, file: ServiceSettings) {
  const mode =
    values['host-network'] === undefined
      ? file.hostNetwork
      : choice<'manage' | 'off'>(values['host-network'], 'host-network', ['manage', 'off']);
  const flag = values['network-confirm-seconds'];
  const seconds = flag === undefined ? file.networkConfirmSeconds : confirmSeconds(String(flag));
  if (seconds === undefined && flag !== undefined) {
    throw new CliError(EXIT.usage, `--network-confirm-seconds must be seconds, 5-3600, not ${JSON.stringify(flag)}`);
  }
  return { manage: mode === 'manage', confirmSeconds: seconds };
}

async function settingsOption(file: unknown): Promise<ServiceSettings> {
  if (typeof file !== 'string') return {};
  try {
    return await readSettings(file);
  } catch (error) {
    throw new CliError(EXIT.usage, (error as Error).message, (error as ApplianceError).code);
  }
}

/**
 * Runs until SIGTERM or SIGINT; then stops serving and leaves the data plane as it is.
 * SIGHUP reloads (systemctl reload).
 */
export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'serve [--data-dir DIR] [--port N]  run the appliance (API and web UI on :9080 and :9443)',
  usage: `serve [options]
  --data-dir DIR        configuration, logs and credentials (default /var/lib/sluice as root, else
                        ~/.local/state/sluice; env SLUICE_DATA_DIR)
  --port N              HTTP port of the API and /lbadmin/ (default: administration.httpPort, 9080)
  --https-port N        HTTPS port (default: administration.httpsPort, 9443)
  --host ADDR           listen on this address (repeatable; default ::)
  --netns NAME          program IPVS, hold the VIPs and floating IPs, run the health checks
                        and HAProxy in this network namespace
  --ha-role ROLE        master or slave (default: slave when heartbeat.peer.address is this node's)
  --ha-name NAME        the master's node name (default master)
  --ha-peer NAME@ADDR[,ADDR]  on the slave: the master and its address on each heartbeat link
  --ha-link-port N      UDP port of the first heartbeat link (default 694)
  --ha-peer-url URL     the peer's admin URL for replication
  --host-network MODE   manage: apply the network settings (addresses, routes, DNS, host name,
                        NTP) to this host through systemd-networkd, resolved and timesyncd; off
                        (default): store them only (SLUICE_HOST_NETWORK)
  --network-confirm-seconds N  a network change that could cut the admin off is rolled back
                        after N s unless confirmed (default 120; SLUICE_NETWORK_CONFIRM_SECONDS)
  --settings FILE       read SLUICE_* settings from FILE at start and on SIGHUP (the Debian
                        package's /etc/default/sluice); flags win over the file, the file over
                        the environment
  --log-level LEVEL     debug, info, warn or error: the log records written to stdout (default info)
  --log-format FORMAT   text or json (default text); under systemd each line carries its priority
  --json                stdout is JSON Lines: the start-up report as one object ("report":
                        "start"), the log records as JSON (implies --log-format json)

SLUICE_NODE_NAME (settings file or environment): this node's name in an ECMP cluster's
cluster.nodes, which gives the router id it announces the VIPs with (default: the host name).

Signals: SIGTERM and SIGINT stop (the data plane keeps serving); SIGHUP reloads: the
settings file is read again (the log level and format apply at once, the rest at the next
restart) and the configuration is applied again. Under systemd (NOTIFY_SOCKET) the daemon
says READY=1 once the API answers and the first apply is done.`,
  daemon: false,
  options: {
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    'https-port': { type: 'string' },
    host: { type: 'string', multiple: true },
    netns: { type: 'string' },
    'ha-role': { type: 'string' },
    'ha-name': { type: 'string' },
    'ha-peer': { type: 'string' },
    'ha-link-port': { type: 'string' },
    'ha-peer-url': { type: 'string' },
    'host-network': { type: 'string' },
    'network-confirm-seconds': { type: 'string' },
    settings: { type: 'string' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
  },
  async run(ctx) {
    const { values } = ctx;
    const env = ctx.io.env;
    const file = await settingsOption(values.settings);
    const flags: ServiceSettings = {
      ...(values['log-level'] === undefined
        ? {}
        : { logLevel: choice<LogLevel>(values['log-level'], 'log-level', ['debug', 'info', 'warn', 'error']) }),
      ...(values['log-format'] === undefined
        ? {}
        : { logFormat: choice<LogFormat>(values['log-format'], 'log-format', ['text', 'json']) }),
    };
    if (ctx.json) {
      // One stream a program can read line by line: no text log line between JSON documents.
      if (flags.logFormat === 'text')
        throw new CliError(EXIT.usage, '--json writes JSON log lines: drop --log-format text');
      flags.logFormat = 'json';
    }
    const settings: ServiceSettings = { ...file, ...flags };
    const dataDir = (values['data-dir'] as string | undefined) ?? file.dataDir ?? defaultDataDir(env);
    // systemd sets JOURNAL_STREAM when stdout is the journal.
    const echo = new LogEcho(settings, (line) => ctx.io.out(line), env.JOURNAL_STREAM !== undefined);
    const version = applianceVersion();
    let daemon: Daemon;
    try {
      daemon = await startDaemon({
        dataDir,
        version,
        httpPort: portOption(values.port, 'port') ?? file.httpPort ?? portOption(env.SLUICE_HTTP_PORT, 'port'),
        httpsPort:
          portOption(values['https-port'], 'https-port') ??
          file.httpsPort ??
          portOption(env.SLUICE_HTTPS_PORT, 'https-port'),
        hosts: (values.host as string[] | undefined) ?? file.listen,
        netns: (values.netns as string | undefined) ?? file.netns,
        nodeName: file.nodeName ?? env.SLUICE_NODE_NAME,
        ha: haOptions(values),
        hostNetwork: hostNetworkOptions(values, file),
        onLog: (record) => echo.write(record),
      });
    } catch (error) {
      throw listenError(error);
    }
    const status = daemon.engine.status();
    const report = {
      version,
      dataDir,
      httpPort: daemon.web.httpPort,
      httpsPort: daemon.web.httpsPort,
      configVersion: daemon.store.current().version,
      // On a terminal only: stdout under systemd is the journal, which keeps it for anyone
      // in the adm group to read. The file is root's alone (0600).
      initialPassword: (ctx.io.terminal && daemon.initialPassword) || null,
      initialPasswordFile: daemon.initialPassword ? join(dataDir, 'initial-password') : null,
      parts: status.parts,
      hostNetwork: daemon.hostNetwork.status(),
      capabilities: daemon.capabilities,
    };
    const text = [
      `sluice appliance ${version}: configuration version ${report.configVersion} from ${dataDir}`,
      `listening: http :${report.httpPort}, https :${report.httpsPort} on ${((values.host as string[] | undefined) ?? file.listen)?.join(', ') ?? 'every address'} (web UI /lbadmin/, API /api/v1/, health /api/v1/health)`,
      ...(daemon.initialPassword === undefined
        ? []
        : ctx.io.terminal
          ? [
              `first start: log in as "admin" with password ${daemon.initialPassword} (also in ${report.initialPasswordFile}); you must change it`,
            ]
          : [
              `first start: log in as "admin" with the password in ${report.initialPasswordFile} (readable by root only); you must change it`,
            ]),
      `  ${daemon.hostNetwork.status().detail}`,
      ...status.parts.map((part) => `  ${part.part}: ${part.state}${part.detail ? ` (${part.detail})` : ''}`),
      `on this host:\n${describeCapabilities(daemon.capabilities)}`,
    ].join('\n');
    ctx.io.out(ctx.json ? JSON.stringify({ report: 'start', ...report }) : text);
    await runService({
      daemon,
      settings,
      settingsFile: values.settings as string | undefined,
      overrides: flags,
      echo,
      status: `serving on :${report.httpPort} and :${report.httpsPort}, configuration version ${report.configVersion}`,
    });
    return EXIT.ok;
  },
};
