import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import { notifyAddress, sdNotify } from '../../src/service/sd-notify.js';
import { notifyListener } from './notify-listener.js';

describe('sd_notify', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('sends READY, STATUS and STOPPING to a path socket, each as one datagram', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-notify-'));
    dirs.push(dir);
    const path = join(dir, 'notify');
    const systemd = notifyListener(path, 2);
    await systemd.ready;
    expect(sdNotify('READY=1\nSTATUS=serving on :9080', path)).toBe(true);
    expect(sdNotify('STOPPING=1', path)).toBe(true);
    expect(await systemd.received).toEqual(['READY=1\nSTATUS=serving on :9080', 'STOPPING=1']);
  });

  it('reaches an abstract socket (@name), as systemd names its own', async () => {
    const name = `@sluice-notify-test-${process.pid}`;
    const systemd = notifyListener(name, 1);
    await systemd.ready;
    expect(sdNotify('READY=1', name)).toBe(true);
    expect(await systemd.received).toEqual(['READY=1']);
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
