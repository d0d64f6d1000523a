// The host's half of the channel to the guest's agent (uml/agent.sh): a request is a
// script file dropped into the job directory, a result is three files the agent leaves
// beside it. The directory is the guest's /testkit (hostfs), so no network is needed.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestkitError } from '../errors.js';
import { shellQuote } from '../uml/shell.js';

export interface CommandResult {
  /** The command's exit code (128 + n when signal n ended it). */
  code: number;
  stdout: string;
  stderr: string;
}

/** A command line as the agent runs it (sourced by bash): a string is a bash script, an array is one command, every word quoted. */
export function commandScript(command: string | readonly string[]): string {
  if (typeof command === 'string') return `${command}\n`;
  if (command.length === 0) throw new TypeError('empty command');
  // No `exec`: the agent's EXIT trap, which reports the exit code, must outlive the command.
  return `${command.map(shellQuote).join(' ')}\n`;
}

export class AgentChannel {
  private next = 0;

  constructor(
    readonly dir: string,
    /** Says why the guest can no longer answer (it stopped), or undefined while it runs. */
    private readonly gone: () => string | undefined,
  ) {
    mkdirSync(join(dir, 'requests'), { recursive: true });
  }

  /** The agent has started (it writes `ready` once its loop runs). */
  ready(): boolean {
    return existsSync(join(this.dir, 'ready'));
  }

  /** Drops a request without waiting for its result (for `systemctl poweroff`, which never answers). */
  send(command: string | readonly string[]): string {
    const id = `${process.pid}-${++this.next}`;
    const temp = join(this.dir, 'requests', `.${id}.tmp`);
    writeFileSync(temp, commandScript(command));
    // The agent takes only `*.sh`: the rename makes the whole script appear at once.
    renameSync(temp, join(this.dir, 'requests', `${id}.sh`));
    return id;
  }

  async result(id: string, what: string, timeoutMs: number): Promise<CommandResult> {
    const results = join(this.dir, 'results');
    const deadline = Date.now() + timeoutMs;
    const rc = join(results, `${id}.rc`);
    // The agent writes the code in one write after creating the file: empty means not yet.
    const done = () => existsSync(rc) && statSync(rc).size > 0;
    while (!done()) {
      const gone = this.gone();
      if (gone)
        throw new TestkitError('TESTKIT_SYSTEM_STOPPED', `${what}: the guest stopped before it answered (${gone})`);
      if (Date.now() > deadline) {
        throw new TestkitError('TESTKIT_TIMEOUT', `${what}: no answer from the guest within ${timeoutMs} ms`);
      }
      await sleep(50);
    }
    const read = (ext: string) => readFileSync(join(results, `${id}.${ext}`), 'utf8');
    return { code: Number(read('rc').trim()), stdout: read('out'), stderr: read('err') };
  }

  async run(command: string | readonly string[], timeoutMs: number): Promise<CommandResult> {
    const what = typeof command === 'string' ? command : command.join(' ');
    return this.result(this.send(command), what, timeoutMs);
  }
}
