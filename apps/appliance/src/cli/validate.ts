import { validateFile } from '../validate-file.js';
import type { CommandSpec } from './command.js';

export const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'validate FILE [--json]            check a configuration file (exit 0 valid, 1 invalid, 2 unreadable)',
  usage: 'validate FILE [--json]   (exit 0 valid, 1 invalid, 2 unreadable)',
  daemon: false,
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const report = await validateFile(ctx.positionals[0] as string);
    ctx.print(report.text, report.json);
    return report.exitCode;
  },
};
