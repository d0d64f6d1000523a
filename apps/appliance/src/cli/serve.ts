import { describeCapabilities } from '../capabilities.js';
import { type Daemon, startDaemon } from '../daemon/daemon.js';
import { ApplianceError } from '../errors.js';
import type { HaLocalOptions } from '../ha/identity.js';
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

/** Runs until SIGTERM or SIGINT; then stops serving and leaves the data plane as it is. */
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
  --json                print the start-up report as JSON`,
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
  },
  async run(ctx) {
    const { values } = ctx;
    const dataDir = (values['data-dir'] as string | undefined) ?? defaultDataDir(ctx.io.env);
    const version = applianceVersion();
    let daemon: Daemon;
    try {
      daemon = await startDaemon({
        dataDir,
        version,
        httpPort: portOption(values.port ?? ctx.io.env.SLUICE_HTTP_PORT, 'port'),
        httpsPort: portOption(values['https-port'] ?? ctx.io.env.SLUICE_HTTPS_PORT, 'https-port'),
        hosts: values.host as string[] | undefined,
        netns: values.netns as string | undefined,
        ha: haOptions(values),
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
      initialPassword: daemon.initialPassword ?? null,
      parts: status.parts,
      capabilities: daemon.capabilities,
    };
    ctx.print(
      [
        `sluice appliance ${version}: configuration version ${report.configVersion} from ${dataDir}`,
        `listening: http :${report.httpPort}, https :${report.httpsPort} on ${(values.host as string[] | undefined)?.join(', ') ?? 'every address'} (web UI /lbadmin/, API /api/v1/, health /api/v1/health)`,
        ...(daemon.initialPassword
          ? [
              `first start: log in as "admin" with password ${daemon.initialPassword} (also in ${dataDir}/initial-password); you must change it`,
            ]
          : []),
        ...status.parts.map((part) => `  ${part.part}: ${part.state}${part.detail ? ` (${part.detail})` : ''}`),
        `on this host:\n${describeCapabilities(daemon.capabilities)}`,
      ].join('\n'),
      report,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await daemon.stop();
    return EXIT.ok;
  },
};
