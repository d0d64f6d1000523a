import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliTransport, MasterClient, RuntimeClient, unixSocketTransport } from '../src/index.js';

function fake(answers: Record<string, string>): { transport: CliTransport; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    transport: async (command) => {
      sent.push(command);
      return answers[command] ?? 'Unknown command.';
    },
  };
}

describe('RuntimeClient with a fake transport', () => {
  it('builds each command from checked names', async () => {
    const { transport, sent } = fake({});
    const client = new RuntimeClient({ transport });
    await client.setServerState('app', 's1', 'drain').catch(() => undefined);
    await client.setWeight('app', 's1', 0).catch(() => undefined);
    await client.enableHealth('app', 's1').catch(() => undefined);
    await client.disableAgent('app', 's1').catch(() => undefined);
    expect(sent).toEqual([
      'set server app/s1 state drain',
      'set weight app/s1 0',
      'enable health app/s1',
      'disable agent app/s1',
    ]);
  });

  it('treats an empty answer as success and anything else as HAPROXY_COMMAND_FAILED', async () => {
    const { transport } = fake({ 'set weight app/s1 5': '', 'set weight app/s2 5': 'No such server.' });
    const client = new RuntimeClient({ transport });
    await expect(client.setWeight('app', 's1', 5)).resolves.toBeUndefined();
    await expect(client.setWeight('app', 's2', 5)).rejects.toMatchObject({
      code: 'HAPROXY_COMMAND_FAILED',
      message: expect.stringContaining('No such server.'),
    });
  });

  it('renders add server and maps a refusal of dynamic servers to HAPROXY_UNSUPPORTED', async () => {
    const { transport, sent } = fake({
      'add server app/n [2001:db8::5]:80 weight 3 check inter 2s send-proxy-v2':
        'Backend must use a dynamic load balancing to support dynamic servers.',
    });
    const client = new RuntimeClient({ transport });
    await expect(
      client.addServer('app', { name: 'n', address: '2001:db8::5', port: 80, weight: 3, check: true, sendProxy: 'v2' }),
    ).rejects.toMatchObject({ code: 'HAPROXY_UNSUPPORTED' });
    expect(sent).toHaveLength(1);
  });

  it('prefixes commands through the master with the worker target', async () => {
    const { transport, sent } = fake({ '@1 set weight app/s1 1': '' });
    await new MasterClient({ transport }).worker().setWeight('app', 's1', 1);
    expect(sent).toEqual(['@1 set weight app/s1 1']);
    expect(() => new RuntimeClient({ transport, target: '@1; shutdown' })).toThrow(
      expect.objectContaining({ code: 'HAPROXY_INVALID_FIELD', field: 'target' }),
    );
  });

  it('refuses a raw command with a newline or a semicolon', async () => {
    const client = new RuntimeClient({ transport: fake({}).transport });
    await expect(client.command('show info\nshutdown')).rejects.toMatchObject({ code: 'HAPROXY_INVALID_FIELD' });
    await expect(client.command('show info;shutdown')).rejects.toMatchObject({ code: 'HAPROXY_INVALID_FIELD' });
  });
});

describe('unixSocketTransport against a real unix socket', () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function listen(onData: (socket: import('node:net').Socket, data: string) => void): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const path = join(dir, 'cli.sock');
    server = createServer((socket) => socket.on('data', (d) => onData(socket, d.toString())));
    await new Promise<void>((resolve) => server?.listen(path, resolve));
    return path;
  }

  it('speaks prompt mode and strips the prompts', async () => {
    const path = await listen((socket, data) => {
      expect(data).toBe('prompt\nshow info\nquit\n');
      socket.end('\n> Name: HAProxy\nPid: 1\n\n> ');
    });
    expect(await unixSocketTransport(path)('show info', { timeoutMs: 2000 })).toBe('Name: HAProxy\nPid: 1');
  });

  it('strips the master prompt too', async () => {
    const path = await listen((socket) => socket.end('master> No such server.\n\nmaster> master> '));
    expect(await unixSocketTransport(path)('@1 set weight a/b 1', { timeoutMs: 2000 })).toBe('No such server.');
  });

  it('fails with HAPROXY_TIMEOUT when the socket never answers', async () => {
    const path = await listen(() => undefined);
    await expect(unixSocketTransport(path)('show info', { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'HAPROXY_TIMEOUT',
    });
  });

  it('fails with HAPROXY_SOCKET_ERROR when nothing listens', async () => {
    await expect(
      unixSocketTransport('/nonexistent/sluice.sock')('show info', { timeoutMs: 1000 }),
    ).rejects.toMatchObject({
      code: 'HAPROXY_SOCKET_ERROR',
    });
  });
});
