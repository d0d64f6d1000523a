import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeQuery, formatIpv6 } from '../src/executors/dns-codec.js';

describe('DNS codec', () => {
  it('encodes a query (golden bytes)', () => {
    expect(encodeQuery(0x1234, 'www.example.test', 'AAAA').toString('hex')).toBe(
      '123401000001000000000000' + '03777777076578616d706c6504746573740000' + '1c0001',
    );
  });

  it('decodes answers with name compression', () => {
    const hex = [
      '1234 8180 0001 0003 0000 0000', // header: response, NOERROR, 1 question, 3 answers
      '03 777777 07 6578616d706c65 04 74657374 00 0001 0001', // www.example.test A IN (example at 0x10)
      'c00c 0005 0001 0000003c 0006 03 6d6f6e c010', // CNAME mon.example.test (rdata at 0x2e)
      'c02e 0001 0001 0000003c 0004 c0000250', // mon.example.test A 192.0.2.80
      'c02e 001c 0001 0000003c 0010 20010db8000000000000000000000001', // AAAA 2001:db8::1
    ].join('');
    const response = decodeResponse(Buffer.from(hex.replace(/ /g, ''), 'hex'));
    expect(response).toEqual({
      id: 0x1234,
      rcode: 'NOERROR',
      answers: [
        { type: 5, data: 'mon.example.test' },
        { type: 1, data: '192.0.2.80' },
        { type: 28, data: '2001:db8::1' },
      ],
    });
  });

  it('reads the rcode and rejects garbage', () => {
    expect(decodeResponse(Buffer.from('abcd81830000000000000000', 'hex')).rcode).toBe('NXDOMAIN');
    expect(() => decodeResponse(Buffer.from('abcd0100', 'hex'))).toThrow('shorter than a header');
    expect(() => decodeResponse(Buffer.from('abcd01000000000000000000', 'hex'))).toThrow('not a response');
    expect(() => decodeResponse(Buffer.from('abcd818000000001000000000005', 'hex'))).toThrow();
  });

  it('prints IPv6 as RFC 5952', () => {
    const bytes = (text: string) => Buffer.from(text.replace(/:/g, ''), 'hex');
    expect(formatIpv6(bytes('2001:0db8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1');
    expect(formatIpv6(bytes('2001:0db8:0000:0001:0000:0000:0000:0001'))).toBe('2001:db8:0:1::1');
    expect(formatIpv6(bytes('2001:0db8:0001:0001:0001:0001:0001:0001'))).toBe('2001:db8:1:1:1:1:1:1');
    expect(formatIpv6(bytes('0000:0000:0000:0000:0000:0000:0000:0000'))).toBe('::');
  });
});
