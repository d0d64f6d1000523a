/**
 * Keeps docs/migrating-from-keepalived.md honest: every `sluice-appliance` command it shows
 * is a command of the CLI with flags its own --help lists, and its sample keepalived.conf,
 * run through the CLI's import against the real API, prints exactly the preview the guide
 * shows; its heartbeat section is stored by the API and the switch's --apply then succeeds.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliIo, COMMANDS, type CommandSpec, EXIT, findCommand, runCommand } from '../../src/cli/index.js';
import { LAB_USAGE } from '../../src/cli/lab.js';
import { serveCommand } from '../../src/cli/serve.js';
import { type Harness, startHarness } from '../api/harness.js';
import { readGuide } from './guide.js';

const { text, marked } = await readGuide('migrating-from-keepalived.md');

/** Every fenced block's body and every inline code span: where the guide shows commands. */
function codeOf(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const prose = markdown.replace(/```[a-z]*\n[\s\S]*?```/g, '');
  const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string);
  return [...blocks, ...spans];
}

/**
 * The `sluice-appliance` invocations in a piece of shell: each command of a line (split at
 * `&&`, `||`, `;`, `|`), past `ssh HOST` and `ExecStart=`, whose program is the CLI.
 */
function invocations(code: string): string[][] {
  const found: string[][] = [];
  for (const line of code.replace(/\\\n/g, ' ').split('\n')) {
    const command = line.replace(/\s#.*$/, '');
    for (const part of command.split(/&&|\|\||;|\|/)) {
      let words = part
        .trim()
        .replace(/^ExecStart=/, '')
        .split(/\s+/)
        .filter(Boolean);
      if (words[0] === 'ssh') words = words.slice(2);
      // The bare name in prose (`the sluice-appliance command`) is a mention, not a command line.
      if (words[0]?.replace(/^.*\//, '') === 'sluice-appliance' && words.length > 1) found.push(words.slice(1));
    }
  }
  return found;
}

/** An io that keeps what a command prints (stdout and stderr together, as a terminal shows them). */
function capture(): { io: CliIo; printed: () => string } {
  let out = '';
  const write = (t: string) => {
    out += `${t}\n`;
  };
  const io: CliIo = { out: write, err: write, prompt: () => {}, stdin: Readable.from([]), env: {}, interactive: false };
  return { io, printed: () => out };
}

/** What `sluice-appliance NAME --help` prints. */
async function help(spec: CommandSpec): Promise<string> {
  const { io, printed } = capture();
  expect(await runCommand(spec, ['--help'], io)).toBe(EXIT.ok);
  return printed();
}

const SPECS = new Map([...COMMANDS, serveCommand].map((spec) => [spec.name, spec]));

describe('the keepalived migration guide', () => {
  const calls = codeOf(text).flatMap(invocations);

  it('shows the commands it walks through', () => {
    const names = new Set(calls.map((words) => words[0]));
    for (const name of ['import', 'status', 'serve', 'standby', 'takeover']) expect(names).toContain(name);
  });

  it.each(calls.map((words) => [words.join(' '), words] as const))(
    'sluice-appliance %s exists with those flags',
    async (_, words) => {
      // `lab` parses its own subcommands; its usage is what it prints for help.
      const spec = SPECS.get(words[0] ?? '');
      expect(spec !== undefined || words[0] === 'lab', `no command "${words[0]}"`).toBe(true);
      const usage = spec === undefined ? LAB_USAGE : await help(spec);
      for (const flag of words.filter((w) => w.startsWith('--')).map((w) => w.split('=')[0] as string)) {
        expect(usage, `${flag} is not in "sluice-appliance ${words[0]} --help"`).toMatch(
          new RegExp(`(^|[\\s\\[])${flag}(?![\\w-])`, 'm'),
        );
      }
    },
  );
});

describe("the guide's keepalived.conf through the CLI and the API", () => {
  let harness: Harness;
  let work: string;
  beforeEach(async () => {
    harness = await startHarness();
    work = await mkdtemp(join(tmpdir(), 'sluice-guide-'));
  });
  afterEach(async () => {
    await harness.close();
    await rm(work, { recursive: true, force: true });
  });

  async function cli(args: string[]): Promise<{ code: number; out: string }> {
    const { io, printed } = capture();
    const run = findCommand(args[0]);
    if (run === undefined) throw new Error(`no command ${args[0]}`);
    const code = await run([...args.slice(1), '--url', harness.base, '--data-dir', harness.dir], io);
    return { code, out: printed() };
  }

  it('previews with exactly the notes the guide shows, takes its heartbeat, and the switch applies', async () => {
    const file = join(work, 'keepalived.conf');
    await writeFile(file, marked('keepalived.conf'));
    const preview = await cli(['import', '--from', 'keepalived', file]);
    expect(preview.code).toBe(EXIT.ok);
    expect(preview.out.replaceAll(file, '/etc/keepalived/keepalived.conf')).toBe(marked('preview'));

    // Step 4: the heartbeat section, stored as the guide's curl does (a bearer token, ?version=N).
    const version = harness.store.current().version;
    expect(text).toContain(`'http://127.0.0.1:9080/api/v1/heartbeat?version=${version}'`);
    const stored = await fetch(`${harness.base}/api/v1/heartbeat?version=${version}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${(await readFile(join(harness.dir, 'cli.token'), 'utf8')).trim()}`,
        'content-type': 'application/json',
      },
      body: marked('heartbeat.json'),
    });
    expect(stored.status, await stored.text()).toBe(200);

    // Step 5: the switch's --apply stores the import beside the heartbeat, which it keeps.
    const applied = await cli(['import', '--from', 'keepalived', file, '--apply']);
    expect(applied.code).toBe(EXIT.ok);
    const now = harness.store.current();
    expect(applied.out).toContain(`stored as configuration version ${now.version}`);
    expect(text).toContain(`\`stored as configuration version ${now.version}\``);
    expect(now.config.heartbeat).toMatchObject({ enabled: true, connectionSync: { interface: 'eth1', syncId: 51 } });
    expect(now.config.floatingIps).toEqual([{ address: '203.0.113.10/24', interface: 'eth0' }]);
    expect(now.config.layer4.map((s) => s.label)).toEqual(['vs_203.0.113.10_80', 'vs_203.0.113.10_443']);
    // What step 3 says the checkers became.
    expect(now.config.healthChecks).toEqual([
      expect.objectContaining({
        type: 'http',
        path: '/health',
        expectStatus: 200,
        intervalSeconds: 5,
        timeoutSeconds: 3,
        fall: 3,
      }),
      expect.objectContaining({ type: 'connect', intervalSeconds: 5, timeoutSeconds: 3 }),
    ]);
  });
});
