import { type ChildProcess, spawn } from 'node:child_process';
import { TestkitError } from '../errors.js';

/** A long-running process inside a namespace: a real server, a capture, a daemon under test. */
export class NamespaceProcess {
  readonly child: ChildProcess;
  readonly description: string;
  private output = '';
  private exited = false;

  constructor(netns: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv) {
    this.description = [command, ...args].join(' ');
    this.child = spawn('ip', ['netns', 'exec', netns, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ?? process.env,
    });
    const collect = (chunk: Buffer) => {
      // Keep the tail only: a chatty server must not grow the test process without bound.
      this.output = (this.output + chunk.toString('utf8')).slice(-64 * 1024);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.child.once('exit', () => {
      this.exited = true;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get log(): string {
    return this.output;
  }

  /** Resolves with the first line that starts with `marker`, the server's own "I listen" signal. */
  waitForLine(marker: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const stdout = this.child.stdout;
      let buffered = '';
      const cleanup = () => {
        clearTimeout(timer);
        stdout?.off('data', onData);
        this.child.off('exit', onExit);
      };
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const line = buffered.split('\n').find((l) => l.startsWith(marker));
        if (line !== undefined) {
          cleanup();
          resolve(line.slice(marker.length).trim());
        }
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(
          new TestkitError(
            'TESTKIT_SERVER_START',
            `${this.description} exited (${code}) before ${marker}: ${this.output}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new TestkitError(
            'TESTKIT_TIMEOUT',
            `${this.description} printed no ${marker} in ${timeoutMs} ms: ${this.output}`,
          ),
        );
      }, timeoutMs);
      stdout?.on('data', onData);
      this.child.once('exit', onExit);
    });
  }

  async stop(): Promise<void> {
    if (this.exited || this.child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }
}
