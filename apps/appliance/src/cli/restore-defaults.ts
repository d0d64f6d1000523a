import { CLIENT_OPTIONS_HELP, type CommandSpec } from './command.js';
import { CliError, EXIT } from './io.js';
import { Prompter } from './prompt.js';

export const restoreDefaultsCommand: CommandSpec = {
  name: 'restore-defaults',
  summary: 'restore-defaults [--yes] [--json]  factory defaults (keeps users and admin ports)',
  usage: `restore-defaults [--yes] [--json] [--url URL] [--data-dir DIR]
  Replaces the configuration with the factory defaults as a new version (roll back to undo);
  the users and the admin ports stay, so the appliance stays reachable.
  --yes  do not ask (scripts); without it, type "yes" to confirm
${CLIENT_OPTIONS_HELP}`,
  options: { yes: { type: 'boolean', short: 'y', default: false } },
  async run(ctx) {
    const client = await ctx.client();
    if (ctx.values.yes !== true) {
      const prompter = new Prompter(ctx.io);
      let answer: string | undefined;
      try {
        answer = await prompter.ask(
          `Replace the configuration of ${client.url} with the factory defaults? Type "yes" to confirm: `,
        );
      } finally {
        prompter.close();
      }
      if (answer === undefined) {
        throw new CliError(EXIT.usage, 'no confirmation on stdin: pass --yes to confirm in a script', 'CLI_USAGE');
      }
      if (answer.toLowerCase() !== 'yes') {
        throw new CliError(EXIT.failed, 'not confirmed: nothing was changed', 'CLI_NOT_CONFIRMED');
      }
    }
    const { body } = await client.call<{ version: number }>('POST', '/factory-reset', { confirm: 'factory-reset' });
    ctx.print(`factory defaults restored as configuration version ${body.version}`, body);
    return EXIT.ok;
  },
};
