#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type DaemonConfig, startDaemon } from './daemon.js';
import { HeartbeatError } from './errors.js';

const USAGE = `usage: sluice-heartbeat run --config <file.json>

Runs one node of the HA pair. Events go to stdout as JSON lines; "READY <status>" once
the links are open. Signals: SIGUSR1 takeover, SIGUSR2 standby, SIGHUP back to the rules
(auto), SIGTERM/SIGINT stop (resources released, the peer told at once).`;

function fail(error: unknown): never {
  const e = error instanceof HeartbeatError ? error : undefined;
  process.stderr.write(
    `ERROR ${JSON.stringify({ code: e?.code ?? 'UNEXPECTED', field: e?.field, message: (error as Error)?.message ?? String(error) })}\n`,
  );
  process.exit(2);
}

function line(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v instanceof Error ? { message: v.message, code: (v as { code?: string }).code } : v,
  );
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { config: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help || positionals[0] !== 'run' || !values.config) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 64);
  }
  let config: DaemonConfig;
  try {
    config = JSON.parse(await readFile(values.config, 'utf8')) as DaemonConfig;
  } catch (error) {
    fail(
      new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `cannot read ${values.config}: ${String(error)}`, {
        field: 'config',
        cause: error,
      }),
    );
  }
  const daemon = await startDaemon(config, (event) => process.stdout.write(`${line(event)}\n`)).catch(fail);
  for (const warning of daemon.warnings) process.stderr.write(`WARNING ${warning}\n`);
  process.stdout.write(`READY ${line(daemon.node.status())}\n`);
  process.on('SIGUSR1', () => daemon.node.takeover());
  process.on('SIGUSR2', () => daemon.node.standby());
  process.on('SIGHUP', () => daemon.node.auto());
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      daemon.stop().then(
        () => process.exit(0),
        (error) => fail(error),
      );
    });
  }
}

void main();
