import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacketSocketSender } from '../src/index.js';

// A stand-in for Node (it is given the helper's path and ignores it): it starts slowly, as
// Node does on a loaded or emulated machine, then answers as the helper does.
let dir = '';
let slowStart = '';
let failing = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-frame-sender-'));
  slowStart = join(dir, 'slow-node');
  await writeFile(slowStart, '#!/bin/sh\nsleep 1\necho ready\nwhile read line; do echo ok; done\n');
  failing = join(dir, 'failing-node');
  await writeFile(failing, '#!/bin/sh\necho ready\nwhile read line; do echo "error bind eth9: ENODEV"; done\n');
  await chmod(slowStart, 0o755);
  await chmod(failing, 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('PacketSocketSender', () => {
  it("does not count the helper's start-up against a frame's timeout", async () => {
    const sender = new PacketSocketSender({ node: slowStart, timeoutMs: 100 });
    await expect(sender.send('eth0', Buffer.from('00', 'hex'))).resolves.toBeUndefined();
    // Once it runs, later frames are answered too.
    await expect(sender.send('eth0', Buffer.from('00', 'hex'))).resolves.toBeUndefined();
    await sender.close();
  });

  it('fails a frame when the helper never starts within the start-up allowance', async () => {
    const sender = new PacketSocketSender({ node: slowStart, timeoutMs: 10, startTimeoutMs: 10 });
    await expect(sender.send('eth0', Buffer.from('00', 'hex'))).rejects.toMatchObject({
      code: 'HEARTBEAT_ANNOUNCE_FAILED',
      message: expect.stringContaining('did not answer in 20 ms'),
    });
    await sender.close();
  });

  it("passes the helper's error on with its code", async () => {
    const sender = new PacketSocketSender({ node: failing });
    await expect(sender.send('eth9', Buffer.from('00', 'hex'))).rejects.toMatchObject({
      code: 'HEARTBEAT_ANNOUNCE_FAILED',
      message: expect.stringContaining('ENODEV'),
    });
    await sender.close();
  });

  it('refuses a namespace name ip netns would not take, with the field at fault', () => {
    expect(() => new PacketSocketSender({ netns: 'a b;rm' })).toThrow(
      expect.objectContaining({ code: 'HEARTBEAT_INVALID_CONFIG', field: 'netns' }),
    );
  });

  it('refuses an interface name that is not one, before starting anything', async () => {
    const sender = new PacketSocketSender({ node: '/nonexistent' });
    await expect(sender.send('eth0 ff\n', Buffer.alloc(1))).rejects.toMatchObject({ field: 'interface' });
  });
});

describe('PacketSocketSender.close', () => {
  it('resolves in a process that has nothing else to do (the helper is unreferenced while idle)', async () => {
    // A child Node process warms a sender, closes it and prints once close() resolved: with
    // an unreferenced helper the event loop would end first and nothing would be printed.
    const { execFileSync } = await import('node:child_process');
    const entry = new URL('../dist/index.js', import.meta.url).href;
    const script = `const { PacketSocketSender } = await import(${JSON.stringify(entry)});
const sender = new PacketSocketSender({ node: ${JSON.stringify(slowStart)} });
sender.warm();
await sender.close();
console.log('closed');`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.trim()).toBe('closed');
  });
});
