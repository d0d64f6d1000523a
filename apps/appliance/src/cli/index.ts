import { backupCommand, restoreCommand } from './backup.js';
import { capabilitiesCommand } from './capabilities.js';
import { type CommandSpec, type RunOptions, runCommand } from './command.js';
import { standbyCommand, takeoverCommand } from './ha-role.js';
import { importCommand } from './import.js';
import { type CliIo, processIo } from './io.js';
import { networkCommand } from './network.js';
import { restoreDefaultsCommand } from './restore-defaults.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';
import { wizardCommand } from './wizard.js';

export {
  type ClientOptions,
  DaemonClient,
  DEFAULT_DATA_DIR,
  DEFAULT_URL,
  defaultDataDir,
  readToken,
} from './client.js';
export { type CommandSpec, type RunOptions, runCommand } from './command.js';
export { CliError, type CliIo, EXIT, processIo } from './io.js';

/** Every command except `serve` (src/cli.ts) and `lab` (src/cli/lab.ts). */
export const COMMANDS: readonly CommandSpec[] = [
  statusCommand,
  wizardCommand,
  takeoverCommand,
  standbyCommand,
  backupCommand,
  restoreCommand,
  restoreDefaultsCommand,
  importCommand,
  networkCommand,
  capabilitiesCommand,
  validateCommand,
];

/** The commands' lines of the main usage. */
export function commandsUsage(): string {
  return COMMANDS.map((command) => {
    const [synopsis = '', text = ''] = command.summary.split(/ {2,}/);
    return `  ${synopsis.padEnd(33)} ${text}`;
  }).join('\n');
}

/** The runner of `sluice-appliance <name> ...`, or undefined for a name that is not one of these commands. */
export function findCommand(
  name: string | undefined,
): ((argv: readonly string[], io?: CliIo, options?: RunOptions) => Promise<number>) | undefined {
  const spec = COMMANDS.find((command) => command.name === name);
  if (spec === undefined) return undefined;
  return (argv, io = processIo(), options = {}) => runCommand(spec, argv, io, options);
}
