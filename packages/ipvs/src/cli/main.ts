import { IpvsClient, type OpenOptions } from '../client.js';
import { IpvsError } from '../errors.js';
import { type Operation, validateOperation } from '../operations.js';
import { type Command, parseArgs, words } from './args.js';
import { formatConnections, formatDaemons, formatList, formatSave, formatTimeouts, toJson } from './format.js';

export const USAGE = `sluice-ipvs: ipvsadm's commands over the IPVS generic netlink API (numeric addresses only)
  -A|-E -t|-u|--sctp-service ADDR:PORT | -f MARK [-6] [-s SCHED] [-p [TIMEOUT]] [-M MASK] [-o] [-b FLAGS] [--pe NAME]
  -D SERVICE                 delete a service          -C   clear the table
  -a|-e SERVICE -r ADDR[:PORT] [-g|-m|-i] [-w WEIGHT] [-x UPPER] [-y LOWER] [--tun-type ipip|gue|gre] [--tun-port P] [--tun-csum|--tun-remcsum|--tun-nocsum]
  -d SERVICE -r ADDR[:PORT]  delete a real server
  -L|-l [-n] [SERVICE] [--stats|--rate|--thresholds|--persistent-conn]   list;  -L -c  connections
  -L --timeout | --daemon    timeouts, sync daemons    -Z [SERVICE]  zero counters
  -S [-n]                    save rules                -R   restore rules from standard input (one batch)
  --set TCP TCPFIN UDP       timeouts                  --start-daemon|--stop-daemon master|backup [--mcast-interface IF] [--syncid N] ...
  --json                     JSON output               --netns NAME  act in a named network namespace
Exit status: 0 ok, 1 a change or read failed, 2 bad usage.`;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  open?(options: OpenOptions): Promise<IpvsClient>;
}

function operationOf(command: Command): Operation | undefined {
  switch (command.kind) {
    case 'add-service':
      return { op: 'add-service', service: command.service };
    case 'edit-service':
      return { op: 'edit-service', service: command.service };
    case 'delete-service':
      return { op: 'delete-service', service: command.service };
    case 'add-server':
      return { op: 'add-destination', service: command.service, destination: command.destination };
    case 'edit-server':
      return { op: 'edit-destination', service: command.service, destination: command.destination };
    case 'delete-server':
      return { op: 'delete-destination', service: command.service, destination: command.destination };
    default:
      return undefined;
  }
}

/**
 * Parses and validates every line first, as `execute()` would, each error citing the
 * file's line (1-based, comments and blank lines counted): a bad line stops the restore
 * before anything reaches the kernel, including what the kernel would refuse whatever
 * the table holds (a lower threshold without an upper one, a threshold over INT_MAX).
 */
export function restoreOperations(text: string): { line: number; operation: Operation }[] {
  const out: { line: number; operation: Operation }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = `line ${i + 1}`;
    let operation: Operation | undefined;
    try {
      operation = operationOf(parseArgs(words(line)).command);
      if (operation) validateOperation(operation, '');
    } catch (error) {
      throw new IpvsError('IPVS_INVALID_FIELD', `${at}: ${(error as Error).message}`, { cause: error, field: at });
    }
    if (!operation)
      throw new IpvsError('IPVS_INVALID_FIELD', `${at}: only -A -E -D -a -e -d lines can be restored`, { field: at });
    out.push({ line: i + 1, operation });
  });
  return out;
}

async function runCommand(client: IpvsClient, parsed: ReturnType<typeof parseArgs>, io: CliIo): Promise<number> {
  const { command, json } = parsed;
  // The text is built only when it is printed: a listing of a large table is costly.
  const print = (value: unknown, text: () => string) => io.stdout(json ? `${toJson(value)}\n` : text());
  switch (command.kind) {
    case 'list': {
      const table = command.service
        ? [
            {
              ...(await client.getService(command.service)),
              destinations: await client.listDestinations(command.service),
            },
          ]
        : await client.list();
      const info = await client.info();
      print(table, () => formatList(info, table, command.view));
      return 0;
    }
    case 'save': {
      // Rules only: the table's settings, without counters (a cheaper read).
      const table = await client.listSettings();
      print(table, () => formatSave(table));
      return 0;
    }
    case 'connections': {
      const conns = await client.connections();
      print(conns, () => formatConnections(conns));
      return 0;
    }
    case 'timeouts': {
      const t = await client.getTimeouts();
      print(t, () => formatTimeouts(t));
      return 0;
    }
    case 'daemons': {
      const d = await client.listDaemons();
      print(d, () => formatDaemons(d));
      return 0;
    }
    case 'clear':
      await client.flush();
      return 0;
    case 'zero':
      await client.zero(command.service);
      return 0;
    case 'set':
      await client.setTimeouts(command.timeouts);
      return 0;
    case 'start-daemon':
      await client.startDaemon(command.daemon);
      return 0;
    case 'stop-daemon':
      await client.stopDaemon(command.state);
      return 0;
    case 'restore': {
      // Not all-or-nothing: IPVS has no transactions, and an undo would be a second batch
      // that can fail as well. Every line is validated before the first is sent (above);
      // what only the table can refuse (a service that exists, a destination without its
      // service) is refused line by line, and the report names those lines: every other
      // line was applied, in one batch.
      const ops = restoreOperations(await io.readStdin());
      const results = await client.execute(ops.map((o) => o.operation));
      const failed = results.flatMap((r, i) => (r.error ? [{ line: ops[i]?.line ?? 0, error: r.error }] : []));
      const refused = new Set(failed.map((f) => f.line));
      const appliedLines = ops.flatMap((o) => (refused.has(o.line) ? [] : [o.line]));
      if (json)
        io.stdout(
          `${toJson({ applied: appliedLines.length, appliedLines, failed: failed.map((f) => ({ line: f.line, code: f.error.code, message: f.error.message })) })}\n`,
        );
      for (const f of failed) io.stderr(`sluice-ipvs: line ${f.line}: ${f.error.message} [${f.error.code}]\n`);
      if (failed.length)
        io.stderr(
          `sluice-ipvs: restore: ${appliedLines.length} of ${ops.length} lines applied; refused: ${failed.map((f) => `line ${f.line}`).join(', ')} (every other line was applied)\n`,
        );
      return failed.length ? 1 : 0;
    }
    case 'help':
      io.stdout(`${USAGE}\n`);
      return 0;
    default: {
      const operation = operationOf(command);
      if (!operation) return 2;
      const [result] = await client.execute([operation]);
      if (result?.error) throw result.error;
      return 0;
    }
  }
}

/** The CLI, with its input and output injectable for tests. Returns the exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    io.stderr(`sluice-ipvs: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.command.kind === 'help') {
    io.stdout(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  let client: IpvsClient | undefined;
  try {
    client = await (io.open ?? IpvsClient.open)(parsed.netns ? { netns: parsed.netns } : {});
    return await runCommand(client, parsed, io);
  } catch (error) {
    const code = error instanceof IpvsError ? ` [${error.code}${error.errnoName ? ` ${error.errnoName}` : ''}]` : '';
    if (parsed.json)
      io.stdout(
        `${toJson({ error: { code: (error as IpvsError).code, message: (error as Error).message, field: (error as IpvsError).field } })}\n`,
      );
    io.stderr(`sluice-ipvs: ${(error as Error).message}${code}\n`);
    return error instanceof IpvsError && error.code === 'IPVS_INVALID_FIELD' ? 2 : 1;
  } finally {
    client?.close();
  }
}
