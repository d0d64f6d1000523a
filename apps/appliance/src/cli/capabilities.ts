import { describeCapabilities, detectCapabilities } from '../capabilities.js';
import type { CommandSpec } from './command.js';
import { EXIT } from './io.js';

export const capabilitiesCommand: CommandSpec = {
  name: 'capabilities',
  summary: 'capabilities [--json]             print what this host lets the appliance do',
  usage: 'capabilities [--json]',
  daemon: false,
  async run(ctx) {
    const capabilities = await detectCapabilities();
    ctx.print(describeCapabilities(capabilities), capabilities);
    return EXIT.ok;
  },
};
