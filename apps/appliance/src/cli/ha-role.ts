import type { HaStatus } from '../model/ha-status.js';
import { CLIENT_OPTIONS_HELP, type CommandSpec } from './command.js';
import { CliError, EXIT } from './io.js';
import { describeHa } from './status.js';

function roleCommand(what: 'takeover' | 'standby'): CommandSpec {
  const want = what === 'takeover' ? 'active' : 'passive';
  return {
    name: what,
    summary:
      what === 'takeover'
        ? 'takeover [--json]                 make this node the active one now (hb_takeover)'
        : 'standby [--json]                  hand the active role to the peer (hb_standby)',
    usage: `${what} [--json] [--url URL] [--data-dir DIR]\n${CLIENT_OPTIONS_HELP}`,
    async run(ctx) {
      const { body } = await (await ctx.client()).call<HaStatus>('POST', `/ha/${what}`);
      if (body.state !== want) {
        // The peer may refuse (a standby with a dead peer keeps the role; a takeover is blocked by unreachable ping nodes).
        throw new CliError(
          EXIT.failed,
          `this node is still ${body.state} after the ${what}${body.warnings.length ? `: ${body.warnings.join('; ')}` : ''}`,
          'HA_NOT_MOVED',
          { ha: body },
        );
      }
      ctx.print([`this node is now ${body.state}`, ...describeHa(body)].join('\n'), body);
      return EXIT.ok;
    },
  };
}

export const takeoverCommand = roleCommand('takeover');
export const standbyCommand = roleCommand('standby');
