import { describe, expect, it } from 'vitest';
import { gratuitousArp, ipv6Bytes, parseMac, unsolicitedNeighbourAdvertisement } from '../src/frames.js';

const MAC = parseMac('02:aa:bb:cc:dd:01');

// Both frames were produced independently with Python's struct and ipaddress modules.
describe('announcement frames', () => {
  it('builds the gratuitous ARP announcement', () => {
    expect(gratuitousArp(MAC, '192.0.2.100').toString('hex')).toBe(
      'ffffffffffff02aabbccdd010806000108000604000102aabbccdd01c0000264000000000000c0000264' +
        '000000000000000000000000000000000000',
    );
  });

  it('builds the unsolicited neighbour advertisement with its checksum', () => {
    expect(unsolicitedNeighbourAdvertisement(MAC, '2001:db8::100').toString('hex')).toBe(
      '33330000000102aabbccdd0186dd6000000000203aff20010db8000000000000000000000100' +
        'ff02000000000000000000000000000188005db52000000020010db8000000000000000000000100020102aabbccdd01',
    );
  });

  it('parses IPv6 addresses in every notation', () => {
    expect(ipv6Bytes('2001:db8::1').toString('hex')).toBe('20010db8000000000000000000000001');
    expect(ipv6Bytes('::').toString('hex')).toBe('0'.repeat(32));
    expect(ipv6Bytes('2001:db8:0:0:1:0:0:1').toString('hex')).toBe('20010db8000000000001000000000001');
    expect(ipv6Bytes('::ffff:192.0.2.1').toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(ipv6Bytes('2001:db8::').toString('hex')).toBe('20010db8000000000000000000000000');
  });

  it('refuses a malformed MAC', () => {
    expect(() => parseMac('02:aa')).toThrow(expect.objectContaining({ code: 'HEARTBEAT_ANNOUNCE_FAILED' }));
  });
});
