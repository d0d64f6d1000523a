import { describe, expect, it } from 'vitest';
import { parseAgentReply } from '../src/index.js';

describe('parseAgentReply (HAProxy agent-check)', () => {
  it('reads weight, admin and operational words in any order, separated by spaces or commas', () => {
    expect(parseAgentReply('50%')).toEqual({ weight: 50 });
    expect(parseAgentReply('drain')).toEqual({ admin: 'drain' });
    expect(parseAgentReply('up,ready 75%')).toEqual({ operational: 'up', admin: 'ready', weight: 75 });
    expect(parseAgentReply('MAINT')).toEqual({ admin: 'maint' });
    expect(parseAgentReply('halt')).toEqual({ admin: 'maint' });
    expect(parseAgentReply('stopped # disk full')).toEqual({ operational: 'down', description: 'disk full' });
    expect(parseAgentReply('fail')).toEqual({ operational: 'down' });
    expect(parseAgentReply('maxconn:30 up')).toEqual({ operational: 'up' });
    expect(parseAgentReply('999%')).toEqual({ weight: 256 });
    expect(parseAgentReply('')).toEqual({});
  });
});
