import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createRtNetlink } from 'netlink';
import { describe, expect, it } from 'vitest';
import {
  NETLINK_REQUEST_TIMEOUT_MS,
  netlinkErrno,
  netnsWorkerSource,
  openRawNetlink,
  singleFlight,
} from '../src/netlink.js';

// The netlink package's gaps, each checked against the package itself, so that a new
// version that changes its errors or events fails here rather than in a failover.

const NETLINK_GENERIC = 16;

describe('netlinkErrno', () => {
  it("names the errno of the package's own error for a request the kernel refuses", async () => {
    const rt = createRtNetlink();
    try {
      // No interface has this index: the kernel refuses without changing anything.
      const refused = await rt
        .delAddress(
          { family: 2, prefixlen: 32, index: 2_000_000_000 },
          { local: Buffer.from([192, 0, 2, 254]), address: Buffer.from([192, 0, 2, 254]) },
          { timeout: NETLINK_REQUEST_TIMEOUT_MS },
        )
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(refused).toBeInstanceOf(Error);
      expect(netlinkErrno(refused)).toBe('ENODEV');
    } finally {
      rt.socket.close();
    }
  });

  it('takes a code when an error has one, and nothing from what is not an errno', () => {
    expect(netlinkErrno(Object.assign(new Error('x'), { code: 'EEXIST' }))).toBe('EEXIST');
    expect(netlinkErrno(new Error('Request rejected: EADDRNOTAVAIL'))).toBe('EADDRNOTAVAIL');
    expect(netlinkErrno(new Error('timed out'))).toBeUndefined();
    expect(netlinkErrno('Request rejected: EEXIST')).toBeUndefined();
  });
});

describe('singleFlight', () => {
  it('shares the run in flight and starts a new one after it settles, failed or not', async () => {
    let runs = 0;
    let fail = true;
    const once = singleFlight(async () => {
      runs++;
      await new Promise((resolve) => setImmediate(resolve));
      if (fail) throw new Error(`run ${runs}`);
      return runs;
    });
    const [a, b] = await Promise.allSettled([once(), once()]);
    expect(runs).toBe(1);
    expect(a).toEqual(b);
    fail = false;
    expect(await once()).toBe(2);
  });
});

describe('raw sockets', () => {
  it('opens a generic netlink socket that the kernel gave a port', () => {
    const errors: Error[] = [];
    const socket = openRawNetlink(
      NETLINK_GENERIC,
      { bufferBytes: 1 << 20 },
      { error: (e) => errors.push(e), truncated: () => undefined },
    );
    try {
      expect(socket.address().port).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      socket.close();
    }
  });

  it('the namespace worker program opens its socket and says its port (run here, in this namespace)', async () => {
    const entry = createRequire(import.meta.url).resolve('netlink');
    const child = spawn(process.execPath, ['-e', netnsWorkerSource(NETLINK_GENERIC, { bufferBytes: 1 << 20 }), entry], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const first = await new Promise<Buffer>((resolve, reject) => {
      child.once('error', reject);
      child.stdout.once('data', resolve);
    });
    child.stdin.end();
    expect(String.fromCharCode(first[0] ?? 0)).toBe('P');
    expect(first.readUInt32LE(1)).toBe(4);
    expect(first.readUInt32LE(5)).toBeGreaterThan(0);
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
  });
});
