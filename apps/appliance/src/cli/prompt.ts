import { createInterface, type Interface } from 'node:readline';
import type { CliIo } from './io.js';

/**
 * Questions on stdin, one answer a line. The lines are read through readline's async
 * iterator, which buffers them: answers piped in all at once (a script, a test) are not
 * lost while the next question is being printed.
 */
export class Prompter {
  private readonly rl: Interface;
  private readonly lines: AsyncIterator<string>;

  constructor(private readonly io: CliIo) {
    this.rl = createInterface({ input: io.stdin, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
    this.lines = this.rl[Symbol.asyncIterator]();
  }

  /** The answer without surrounding spaces; undefined when stdin ended. */
  async ask(question: string): Promise<string | undefined> {
    this.io.prompt(question);
    const next = await this.lines.next();
    if (!this.io.interactive) this.io.prompt('\n');
    return next.done ? undefined : next.value.trim();
  }

  close(): void {
    this.rl.close();
  }
}
