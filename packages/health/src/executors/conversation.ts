import type { Socket } from 'node:net';

/** At most this much unread text is kept: a peer that floods us fails the expectation instead. */
const MAX_BUFFER = 64 * 1024;

/**
 * Reads a socket as text (latin1: bytes map 1:1, so binary peers cannot break decoding) and
 * waits for lines or patterns. Rejects with the socket's error; resolves `undefined` when
 * the peer closes before the wait is satisfied.
 */
export class Conversation {
  private buffer = '';
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer = (this.buffer + chunk).slice(-MAX_BUFFER);
      this.wake?.();
    });
    socket.once('end', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.once('close', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.once('error', (error) => {
      this.failure = error;
      this.wake?.();
    });
  }

  send(text: string): void {
    this.socket.write(text, 'latin1');
  }

  /** The next line without its CR/LF, or undefined if the peer closed first. */
  async line(): Promise<string | undefined> {
    const found = await this.until((buffer) => {
      const end = buffer.indexOf('\n');
      return end < 0 ? undefined : end + 1;
    });
    return found?.replace(/\r?\n$/, '');
  }

  /** Everything the peer sends until it closes (or the first line, if `firstLine`). */
  async rest(): Promise<string> {
    await this.until(() => undefined);
    const text = this.buffer;
    this.buffer = '';
    return text;
  }

  /**
   * Waits until `match(buffer)` returns the length of the satisfied prefix; consumes and
   * returns that prefix. Undefined when the peer closes first.
   */
  async until(match: (buffer: string) => number | undefined): Promise<string | undefined> {
    for (;;) {
      if (this.failure) throw this.failure;
      const length = match(this.buffer);
      if (length !== undefined) {
        const head = this.buffer.slice(0, length);
        this.buffer = this.buffer.slice(length);
        return head;
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  /** The text received and not yet consumed (for failure details). */
  get unread(): string {
    return this.buffer;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A short, printable excerpt of peer text for a log line. */
export function excerpt(text: string, max = 120): string {
  const clean = text.replace(/[^\x20-\x7e]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '?'));
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}
