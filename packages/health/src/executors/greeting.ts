import type { GreetingCheck, SendExpectCheck } from '../checks.js';
import type { CheckRequest } from '../executor.js';
import { type CheckResult, fail, pass } from '../result.js';
import { Conversation, excerpt } from './conversation.js';
import { openSocket, type TlsOptions } from './socket.js';

const QUIT: Record<GreetingCheck['type'], string> = {
  smtp: 'QUIT\r\n',
  pop3: 'QUIT\r\n',
  imap: 'a1 LOGOUT\r\n',
  ftp: 'QUIT\r\n',
};

function tlsOf(check: GreetingCheck | SendExpectCheck): TlsOptions | undefined {
  return check.tls ? { servername: check.servername, verify: check.verify, ca: check.ca } : undefined;
}

/** Reads the greeting; returns an error text, or undefined when it is the expected one. */
async function judgeGreeting(type: GreetingCheck['type'], talk: Conversation): Promise<string | undefined> {
  for (;;) {
    const line = await talk.line();
    if (line === undefined) return `closed before a greeting${talk.unread ? `: ${excerpt(talk.unread)}` : ''}`;
    if (type === 'pop3') return line.startsWith('+OK') ? undefined : `greeting ${excerpt(line)}`;
    if (type === 'imap') return /^\* (OK|PREAUTH)\b/i.test(line) ? undefined : `greeting ${excerpt(line)}`;
    // SMTP and FTP: "220-..." lines continue, "220 ..." ends; any other code is a refusal.
    const reply = /^(\d{3})([ -]|$)/.exec(line);
    if (reply?.[1] !== '220') return `greeting ${excerpt(line)}`;
    if (reply[2] !== '-') return undefined;
  }
}

/** SMTP/POP3/IMAP/FTP banner check, then a polite quit (keepalived SMTP_CHECK style). */
export async function runGreeting(
  request: CheckRequest,
  check: GreetingCheck,
  port: number,
  signal: AbortSignal,
): Promise<CheckResult> {
  const talk = new Conversation(await openSocket(request.address, port, signal, tlsOf(check)));
  try {
    const problem = await judgeGreeting(check.type, talk);
    if (problem) return fail('protocol', `${check.type}: ${problem}`);
    talk.send(QUIT[check.type]);
    talk.socket.end();
    return pass();
  } finally {
    talk.close();
  }
}

/** A raw TCP script: send, expect (substring) and expectRegex steps in order. */
export async function runSendExpect(
  request: CheckRequest,
  check: SendExpectCheck,
  port: number,
  signal: AbortSignal,
): Promise<CheckResult> {
  const talk = new Conversation(await openSocket(request.address, port, signal, tlsOf(check)));
  try {
    for (const [i, step] of check.steps.entries()) {
      if ('send' in step) {
        talk.send(step.send);
        continue;
      }
      const matcher =
        'expect' in step
          ? (buffer: string) => {
              const at = buffer.indexOf(step.expect);
              return at < 0 ? undefined : at + step.expect.length;
            }
          : (buffer: string) => {
              const m = new RegExp(step.expectRegex).exec(buffer);
              return m ? m.index + m[0].length : undefined;
            };
      if ((await talk.until(matcher)) === undefined) {
        const wanted = 'expect' in step ? step.expect : `/${step.expectRegex}/`;
        return fail(
          'content-mismatch',
          `step ${i}: closed without ${excerpt(wanted)}; got ${JSON.stringify(excerpt(talk.unread))}`,
        );
      }
    }
    return pass();
  } finally {
    talk.close();
  }
}
