import { connect } from 'node:net';
import { HaproxyConfigError } from './errors.js';

/** Sends one CLI command and resolves with HAProxy's answer. Tests can hand in a fake. */
export type CliTransport = (command: string, options: { timeoutMs: number }) => Promise<string>;

const PROMPT_HEAD = /^\n?(?:master)?> /;
const PROMPT_TAIL = /(?:\n?(?:master)?> )+$/;

/**
 * A transport over a unix socket (the admin socket, or the master socket). It speaks the
 * CLI's prompt mode and ends with `quit`: the worker socket closes after one answer but
 * the master socket of 2.6 stays open, and prompt mode ends both the same way.
 */
export function unixSocketTransport(path: string): CliTransport {
  return (command, { timeoutMs }) =>
    new Promise((resolve, reject) => {
      const socket = connect(path);
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (error: HaproxyConfigError | undefined, text?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error) reject(error);
        else resolve(text ?? '');
      };
      const timer = setTimeout(
        () =>
          finish(new HaproxyConfigError('HAPROXY_TIMEOUT', `${path}: no answer to "${command}" in ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.on('connect', () => socket.write(`prompt\n${command}\nquit\n`));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', (cause) =>
        finish(new HaproxyConfigError('HAPROXY_SOCKET_ERROR', `${path}: ${cause.message}`, { cause })),
      );
      socket.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        finish(undefined, raw.replace(PROMPT_HEAD, '').replace(PROMPT_TAIL, '').replace(/\n+$/, ''));
      });
    });
}
