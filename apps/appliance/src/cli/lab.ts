import { parseArgs } from 'node:util';
import { ApplianceError } from '../errors.js';
import {
  currentTopology,
  describeLab,
  describeStatus,
  type LabOptions,
  labCable,
  labDown,
  labSampleConfig,
  labStatus,
  labTopology,
  labUp,
  labWeb,
} from '../lab/index.js';

export const LAB_USAGE = `usage: sluice-appliance lab <command> [--json] [--prefix sluice-lab-]
  up [--pair]                      build the test set-up in network namespaces (root)
  down                             stop everything in it and remove it
  status                           hosts, addresses, cables, web servers
  cable HOST up|down [--network front|back]   plug in / pull a host's cable (alpha, lb, client1, ...)
  web SERVER start|stop            start / stop a real server's web server (alpha, bravo, charlie)
  config [--pair]                  print a sample appliance configuration for the lab (JSON)`;

export interface LabCliIo {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: LabCliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

function usage(io: LabCliIo, message?: string): number {
  if (message) io.err(`sluice-appliance lab: ${message}`);
  io.err(LAB_USAGE);
  return 2;
}

/** `sluice-appliance lab ...`: exit 0 done, 1 the lab failed (LAB_FAILED), 2 usage. */
export async function labCommand(argv: readonly string[], io: LabCliIo = consoleIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  const [sub, target, state] = positionals;
  const options: LabOptions = {
    ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
    ...(values.pair ? { pair: true } : {}),
  };
  const json = values.json;
  const print = (human: string, data: unknown) => io.out(json ? JSON.stringify(data, null, 2) : human);
  try {
    switch (sub) {
      case 'up': {
        const result = await labUp(options);
        print(describeLab(result.topology, result.tunnel), { topology: result.topology, tunnel: result.tunnel });
        return 0;
      }
      case 'down': {
        const { removed } = await labDown(options);
        print(removed.length === 0 ? 'Lab down (nothing to remove).' : `Lab down: removed ${removed.join(', ')}`, {
          removed,
        });
        return 0;
      }
      case 'status': {
        const status = await labStatus(options);
        print(describeStatus(status), status);
        return 0;
      }
      case 'cable': {
        if (!target || (state !== 'up' && state !== 'down')) return usage(io, 'cable HOST up|down');
        const network = values.network;
        if (network !== undefined && network !== 'front' && network !== 'back') {
          return usage(io, '--network is front or back');
        }
        const result = await labCable(target, state, { ...options, ...(network ? { network } : {}) });
        print(`Cable of ${result.host} ${state === 'up' ? 'plugged in' : 'pulled'} (${result.ports.join(', ')})`, {
          ...result,
          state,
        });
        return 0;
      }
      case 'web': {
        if (!target || (state !== 'start' && state !== 'stop')) return usage(io, 'web SERVER start|stop');
        const result = await labWeb(target, state, options);
        print(`${result.page}: web server ${result.running ? `running (pid ${result.pid})` : 'stopped'}`, result);
        return 0;
      }
      case 'config': {
        const topology = values.pair ? labTopology(options) : currentTopology(options);
        io.out(JSON.stringify(labSampleConfig(topology), null, 2));
        return 0;
      }
      default:
        return usage(io, sub ? `unknown lab command ${JSON.stringify(sub)}` : undefined);
    }
  } catch (error) {
    const failure =
      error instanceof ApplianceError
        ? error
        : new ApplianceError('LAB_FAILED', (error as Error).message ?? String(error), { cause: error });
    if (json) io.out(JSON.stringify({ error: failure.toJSON() }, null, 2));
    else io.err(`sluice-appliance lab: ${failure.code}: ${failure.message}`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      pair: { type: 'boolean', default: false },
      prefix: { type: 'string' },
      network: { type: 'string' },
    },
  });
}
