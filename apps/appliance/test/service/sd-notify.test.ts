import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import { notifyAddress, sdNotify } from '../../src/service/sd-notify.js';

// systemd's side of the protocol, as small as it is: a Unix datagram socket that prints
// what it receives (python3 is on every machine the appliance runs on: the heartbeat's
// announcements use it). Node itself has no Unix datagram sockets.
const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1].replace('@', '\\0', 1) if sys.argv[1].startswith('@') else sys.argv[1])
print('LISTENING', flush=True)
for _ in range(int(sys.argv[2])):
    print(repr(s.recv(4096).decode()), flush=True)
`;

function listen(address: string, count: number) {
  const child = spawn('python3', ['-c', LISTENER, address, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const ready = new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('LISTENING')) resolve();
    }),
  );
  const received = new Promise<string[]>((resolve) =>
    child.once('exit', () => resolve(out.split('\n').slice(1).filter(Boolean))),
  );
  return { ready, received };
}

describe('sd_notify', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('sends READY, STATUS and STOPPING to a path socket, each as one datagram', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-notify-'));
    dirs.push(dir);
    const path = join(dir, 'notify');
    const systemd = listen(path, 2);
    await systemd.ready;
    expect(sdNotify('READY=1\nSTATUS=serving on :9080', path)).toBe(true);
    expect(sdNotify('STOPPING=1', path)).toBe(true);
    expect(await systemd.received).toEqual(["'READY=1\\nSTATUS=serving on :9080'", "'STOPPING=1'"]);
  });

  it('reaches an abstract socket (@name), as systemd names its own', async () => {
    const name = `@sluice-notify-test-${process.pid}`;
    const systemd = listen(name, 1);
    await systemd.ready;
    expect(sdNotify('READY=1', name)).toBe(true);
    expect(await systemd.received).toEqual(["'READY=1'"]);
  });

  it('does nothing without NOTIFY_SOCKET (not started by systemd)', () => {
    expect(sdNotify('READY=1', undefined)).toBe(false);
    expect(sdNotify('READY=1', '')).toBe(false);
  });

  it('fails with SERVICE_NOTIFY_FAILED when the socket is gone or the name is not an address', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-notify-'));
    dirs.push(dir);
    const error = (() => {
      try {
        sdNotify('READY=1', join(dir, 'nobody-listens'));
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ApplianceError);
    expect(error).toMatchObject({ code: 'SERVICE_NOTIFY_FAILED', field: 'NOTIFY_SOCKET' });
    expect((error as Error).message).toMatch(/sendto .* failed: ENOENT/);
    expect(() => notifyAddress('relative/path')).toThrow(/neither a path nor an abstract name/);
    expect(() => notifyAddress(`/${'x'.repeat(120)}`)).toThrow(/longer than a Unix socket address/);
  });

  it('lays the address out as struct sockaddr_un: family 1, the path NUL-terminated; an abstract name exact', () => {
    expect(notifyAddress('/run/n')).toEqual(Buffer.from([1, 0, ...Buffer.from('/run/n'), 0]));
    expect(notifyAddress('@n')).toEqual(Buffer.from([1, 0, 0, ...Buffer.from('n')]));
  });
});
