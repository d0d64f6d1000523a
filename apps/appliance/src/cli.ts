#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeCapabilities, detectCapabilities } from './capabilities.js';
import { commandsUsage, findCommand } from './cli/index.js';
import { labCommand } from './cli/lab.js';
import { createApplianceServer } from './server.js';

const USAGE = `usage: sluice-appliance <command> [options]
  serve [--port 9080] [--host ::]   start the appliance (health at /api/v1/health)
${commandsUsage()}
  lab up|down|status|cable|web|config   the manual's test set-up in network namespaces (root)`;

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'lab') return labCommand(rest);
  const run = findCommand(command);
  if (run !== undefined) return run(rest);
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: 'string', default: process.env.SLUICE_HTTP_PORT ?? '9080' },
      host: { type: 'string', default: '::' },
      json: { type: 'boolean', default: false },
    },
  });
  if (command === 'serve') {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`sluice-appliance: --port must be 0-65535, not ${JSON.stringify(values.port)}`);
      return 2;
    }
    const capabilities = await detectCapabilities();
    const server = createApplianceServer({ version, capabilities });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: values.host }, resolve);
    });
    const address = server.address();
    const where = typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address);
    console.log(`sluice appliance ${version} listening on ${where}; health: /api/v1/health`);
    console.log(`on this host:\n${describeCapabilities(capabilities)}`);
    const stop = () => server.close(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return new Promise<number>(() => undefined);
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`sluice-appliance: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
