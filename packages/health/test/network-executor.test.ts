import { describe, expect, it } from 'vitest';
import { NetworkExecutor } from '../src/index.js';

describe('NetworkExecutor: the connect path', () => {
  it('rejects an unknown connect option with a coded error naming the field', () => {
    expect(() => new NetworkExecutor({ connect: 'fast' as 'auto' })).toThrow(
      expect.objectContaining({ code: 'HEALTH_INVALID_OPTION', field: 'connect' }),
    );
  });

  it('offers no lane with connect: socket, and a lane for connect checks only otherwise', async () => {
    const socket = new NetworkExecutor({ connect: 'socket' });
    expect(socket.lane).toBeUndefined();
    expect(socket.connectPath).toEqual({ path: 'socket' });
    const native = new NetworkExecutor({ connect: 'native' });
    const request = { address: '192.0.2.1', port: 80, realPort: 80, virtual: undefined, timeoutMs: 100 };
    expect(native.lane?.accepts({ ...request, check: { type: 'connect' } })).toBe(true);
    expect(native.lane?.accepts({ ...request, check: { type: 'negotiate' } })).toBe(false);
    // A scoped IPv6 address needs an interface index: the socket path handles it.
    expect(native.lane?.accepts({ ...request, address: 'fe80::1%eth0', check: { type: 'connect' } })).toBe(false);
    expect(native.connectPath).toMatchObject({ path: 'native', counters: { inFlight: 0, opened: 0 } });
    await Promise.all([socket.close(), native.close()]);
    // Closed: connect checks go back to the socket path.
    expect(native.lane?.accepts({ ...request, check: { type: 'connect' } })).toBe(false);
  });
});

describe('parseIPv6', () => {
  it('gives the 16 bytes of full, compressed and IPv4-tailed forms, and nothing for others', async () => {
    const { parseIPv6 } = await import('../src/executors/native-connect.js');
    expect(parseIPv6('2001:db8::2')?.toString('hex')).toBe('20010db8000000000000000000000002');
    expect(parseIPv6('2001:DB8:0:0:0:0:0:2')?.toString('hex')).toBe('20010db8000000000000000000000002');
    expect(parseIPv6('::')?.toString('hex')).toBe('0'.repeat(32));
    expect(parseIPv6('fe80::1:2')?.toString('hex')).toBe('fe800000000000000000000000010002');
    expect(parseIPv6('::ffff:192.0.2.2')?.toString('hex')).toBe('00000000000000000000ffffc0000202');
    expect(parseIPv6('192.0.2.2')).toBeUndefined();
    expect(parseIPv6('2001:db8::g')).toBeUndefined();
  });
});
