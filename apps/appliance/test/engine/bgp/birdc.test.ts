import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BirdControl, BirdReplyReader, parseProtocolLine } from '../../../src/engine/bgp/birdc.js';
import { ApplianceError } from '../../../src/errors.js';

/**
 * A stand-in for BIRD's control socket: greets, then answers each command line with what
 * `answer` returns, written in the pieces given (to test framing across chunks).
 */
class FakeBird {
  readonly commands: string[] = [];
  readonly server: Server;
  readonly path: string;
  greeting = '0001 BIRD 2.0.12 ready.\n';
  answer: (command: string) => string[] | undefined = () => ['0000 \n'];

  constructor(dir: string) {
    this.path = join(dir, 'bird.ctl');
    this.server = createServer((socket: Socket) => {
      socket.write(this.greeting);
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString();
        for (let i = buffered.indexOf('\n'); i !== -1; i = buffered.indexOf('\n')) {
          const command = buffered.slice(0, i);
          buffered = buffered.slice(i + 1);
          this.commands.push(command);
          const pieces = this.answer(command);
          // undefined: never answer (a hung daemon)
          if (pieces) for (const piece of pieces) socket.write(piece);
        }
      });
      socket.on('error', () => {});
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function refusal(promise: Promise<unknown>): Promise<ApplianceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplianceError);
  return error as ApplianceError;
}

describe('BirdReplyReader', () => {
  it('joins lines split across chunks, continuation lines and several replies in one chunk', () => {
    const reader = new BirdReplyReader();
    expect(reader.feed('0001 BIRD 2.0.12 re')).toEqual([]);
    const replies = reader.feed(
      'ady.\n2002-Name  Proto\n1002-device1 Device\n peer1 BGP\n+0099 async\n0000 \n9001 syn',
    );
    expect(replies).toEqual([
      [{ code: 1, text: 'BIRD 2.0.12 ready.' }],
      [
        { code: 2002, text: 'Name  Proto' },
        { code: 1002, text: 'device1 Device' },
        { code: 1002, text: 'peer1 BGP' },
        { code: 0, text: '' },
      ],
    ]);
    expect(reader.feed('tax error\n')).toEqual([[{ code: 9001, text: 'syntax error' }]]);
  });

  it('refuses a line outside the protocol', () => {
    expect(() => new BirdReplyReader().feed('HTTP/1.1 200 OK\n')).toThrow(/not of its control protocol/);
  });
});

describe('parseProtocolLine', () => {
  it('reads a full-date since and the BGP info; a short time too', () => {
    expect(
      parseProtocolLine('peer1      BGP        ---        up     2026-12-07 15:53:49.017  Established   '),
    ).toEqual({
      name: 'peer1',
      protocol: 'BGP',
      table: '---',
      state: 'up',
      since: '2026-12-07 15:53:49.017',
      info: 'Established',
    });
    expect(parseProtocolLine('peer2 BGP --- start 15:53:49.017 Active Socket: Connection refused')).toMatchObject({
      since: '15:53:49.017',
      info: 'Active Socket: Connection refused',
    });
  });
});

describe('BirdControl against a fake control socket', () => {
  let dir: string;
  let bird: FakeBird;
  let control: BirdControl;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-birdc-'));
    bird = new FakeBird(dir);
    await bird.listen();
    control = new BirdControl({ socketPath: bird.path, timeoutMs: 500 });
  });

  afterEach(async () => {
    await bird.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses `show protocols` sent in pieces into each BGP session', async () => {
    bird.answer = () => [
      '2002-Name       Proto      Table      State  Since         Info\n1002-device1    Device     ---        up  ',
      '   2026-12-07 15:53:49.017  \n vips4      Static     master4    up     2026-12-07 15:53:49.017  \n',
      ' peer1      BGP        ---        up     2026-12-07 15:53:50.100  Established   \n',
      ' peer2      BGP        ---        start  2026-12-07 15:53:49.017  Active        Socket: Connection refused\n0',
      '000 \n',
    ];
    const sessions = await control.bgpSessions();
    expect(bird.commands).toEqual(['show protocols']);
    expect(sessions.map((s) => [s.name, s.state, s.bgpState, s.since])).toEqual([
      ['peer1', 'up', 'Established', '2026-12-07 15:53:50.100'],
      ['peer2', 'start', 'Active', '2026-12-07 15:53:49.017'],
    ]);
  });

  it('parses the exported routes with their communities', async () => {
    bird.answer = () => [
      '1007-Table master4:\n 203.0.113.10/32      blackhole [vips4 15:53:49.017] * (200)\n',
      '1008-\tType: static univ\n1012-\tBGP.origin: IGP\n \tBGP.as_path: 64497\n \tBGP.community: (65535,0) (64497,7)\n',
      '1007-203.0.113.11/32      blackhole [vips4 15:53:49.017] * (200)\n1008-\tType: static univ\n0000 \n',
    ];
    expect(await control.exportedRoutes('peer1', 'ipv4')).toEqual([
      { prefix: '203.0.113.10/32', communities: ['65535:0', '64497:7'] },
      { prefix: '203.0.113.11/32', communities: [] },
    ]);
    expect(bird.commands).toEqual(['show route export peer1.ipv4 all']);
  });

  it('configure checks first, then applies', async () => {
    bird.answer = (command) =>
      command === 'configure check'
        ? ['0002-Reading configuration from /run/bird.conf\n0020 Configuration OK\n']
        : ['0002-Reading configuration from /run/bird.conf\n0003 Reconfigured\n'];
    await control.configure();
    expect(bird.commands).toEqual(['configure check', 'configure']);
  });

  it('configure names another file quoted, and refuses a path that could end the string', async () => {
    bird.answer = (command) => [
      command.startsWith('configure check') ? '0020 Configuration OK\n' : '0003 Reconfigured\n',
    ];
    await control.configure('/run/sluice/bird-next.conf');
    expect(bird.commands).toEqual([
      'configure check "/run/sluice/bird-next.conf"',
      'configure "/run/sluice/bird-next.conf"',
    ]);
    for (const file of ['/tmp/a" ; down', 'relative.conf', '/tmp/a\nb']) {
      expect((await refusal(control.configure(file))).code).toBe('BGP_CONTROL_FAILED');
    }
    expect(bird.commands).toHaveLength(2);
  });

  it('configure refuses an apply BIRD does not confirm', async () => {
    bird.answer = (command) =>
      command === 'configure check' ? ['0020 Configuration OK\n'] : ['0006 Reconfiguration ignored, shutting down\n'];
    expect((await refusal(control.configure())).message).toContain('0006 Reconfiguration ignored');
  });

  it('configure stops at a failed check, with BIRD’s message, and never applies', async () => {
    bird.answer = () => ['0002-Reading configuration from /run/bird.conf\n8002 /run/bird.conf:3:5 syntax error\n'];
    const error = await refusal(control.configure());
    expect(error.code).toBe('BGP_CONTROL_FAILED');
    expect(error.message).toContain('/run/bird.conf:3:5 syntax error');
    expect(bird.commands).toEqual(['configure check']);
  });

  it('refuses an error reply, a request that gets no answer, a closed socket, a wrong greeting and a command with a newline', async () => {
    bird.answer = () => ['9001 syntax error, unexpected CF_SYM_UNDEFINED\n'];
    expect((await refusal(control.request('show nonsense'))).message).toContain('9001 syntax error');

    bird.answer = () => undefined;
    expect((await refusal(control.request('show status'))).message).toMatch(
      /did not answer "show status" within 500 ms/,
    );

    bird.answer = () => ['1000-BIRD 2.0.12\n'];
    bird.server.on('connection', (socket) => setTimeout(() => socket.end(), 50));
    expect((await refusal(control.request('show status'))).message).toMatch(/closed its control socket/);

    bird.greeting = '8007 Access denied\n';
    expect((await refusal(control.request('show status'))).message).toMatch(/greeted with "8007 Access denied"/);

    const sent = bird.commands.length;
    expect((await refusal(control.request('show status\nconfigure'))).code).toBe('BGP_CONTROL_FAILED');
    expect(bird.commands.length).toBe(sent);
  });

  it('refuses a socket nobody listens on', async () => {
    const lonely = new BirdControl({ socketPath: join(dir, 'none.ctl'), timeoutMs: 500 });
    const error = await refusal(lonely.request('show status'));
    expect(error.code).toBe('BGP_CONTROL_FAILED');
    expect(error.message).toContain('none.ctl');
  });
});
