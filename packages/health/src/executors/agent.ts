import type { AgentCheck } from '../checks.js';
import type { CheckRequest } from '../executor.js';
import { type AgentAdminState, type CheckResult, fail, pass } from '../result.js';
import { Conversation, excerpt } from './conversation.js';
import { openSocket } from './socket.js';

export interface AgentReply {
  /** Percent of the configured weight. */
  weight?: number;
  admin?: AgentAdminState;
  /** `up` or `down` (down also for `fail` and `stopped`). */
  operational?: 'up' | 'down';
  /** Text after `#`. */
  description?: string;
}

/**
 * Parses one HAProxy agent-check reply: words separated by spaces, tabs or commas, a
 * description after `#`. Unknown words are ignored, as HAProxy does. `halt` is taken as
 * `maint` (some agents say it for "take me out").
 */
export function parseAgentReply(text: string): AgentReply {
  const reply: AgentReply = {};
  const hash = text.indexOf('#');
  const words = (hash >= 0 ? text.slice(0, hash) : text)
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (hash >= 0) reply.description = text.slice(hash + 1).trim();
  for (const word of words) {
    const percent = /^(\d{1,3})%$/.exec(word);
    if (percent) reply.weight = Math.min(256, Number(percent[1]));
    else if (word === 'ready' || word === 'drain' || word === 'maint') reply.admin = word;
    else if (word === 'halt') reply.admin = 'maint';
    else if (word === 'up') reply.operational = 'up';
    else if (word === 'down' || word === 'fail' || word === 'stopped') reply.operational = 'down';
  }
  return reply;
}

export async function runAgent(request: CheckRequest, check: AgentCheck, signal: AbortSignal): Promise<CheckResult> {
  const socket = await openSocket(request.address, check.port, signal);
  const talk = new Conversation(socket);
  try {
    if (check.send) talk.send(check.send);
    // HAProxy reads one line, or everything up to the close.
    const line = (await talk.line()) ?? talk.unread;
    if (line.trim() === '') return fail('protocol', 'agent closed without a reply');
    const reply = parseAgentReply(line);
    const extra = {
      ...(reply.weight === undefined ? {} : { weight: reply.weight }),
      ...(reply.admin === undefined ? {} : { admin: reply.admin }),
    };
    if (reply.operational === 'down') {
      return fail('agent-down', `agent: ${excerpt(line)}`, extra);
    }
    return pass({ ...extra, detail: `agent: ${excerpt(line)}` });
  } finally {
    talk.close();
  }
}
