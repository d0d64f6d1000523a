import { describe, expect, it } from 'vitest';
import { MAX_IMPORT_BYTES } from '../../src/import/contract.js';
import { importIpvsadm } from '../../src/import/ipvsadm/index.js';
import { corpusSource, importRefusal, itMatchesGoldens, itRefusesBroken, textSource } from './golden-corpus.js';

describe('the ipvsadm corpus', () => {
  itMatchesGoldens('ipvsadm', importIpvsadm);

  itRefusesBroken('ipvsadm', importIpvsadm, [
    ['broken-threshold.txt', 4, /a lower threshold needs an upper threshold/],
    ['broken-syntax.txt', 2, /--weight lots/],
    ['broken-order.txt', 2, /no service tcp 192\.0\.2\.40:80 was added before this line/],
    ['broken-twice.txt', 2, /the service tcp 192\.0\.2\.40:80 was already added at line 1/],
    ['broken-hostname.txt', 1, /not a numeric IPv4 address/],
    ['broken-shell.txt', 2, /only -A -E -D -a -e -d lines can be restored|unknown option|service is required/],
  ]);
});

describe('what the table holds', () => {
  it('writes each IPVS service so that the engine makes the same one (ports, netmask, thresholds)', async () => {
    const result = await importIpvsadm(
      textSource(
        'save',
        '-A -t 192.0.2.10:80 -s wrr -p 300 -M 255.255.255.255\n-a -t 192.0.2.10:80 -r 192.0.2.1:80 -g -w 7 -x 10 -y 5\n',
      ),
    );
    expect(result.config.layer4).toEqual([
      {
        label: 'vs_192.0.2.10_80',
        vip: '192.0.2.10',
        protocol: 'tcp',
        ports: [80],
        forwarding: 'dr',
        scheduler: 'wrr',
        // A /32 netmask is IPVS's default: no granularity.
        persistence: { timeoutSeconds: 300 },
        // The virtual port: left out, as the engine fills it in.
        realServers: [
          { label: 'rs_192.0.2.1_80', address: '192.0.2.1', weight: 7, minConnections: 5, maxConnections: 10 },
        ],
      },
    ]);
    expect(result.notes).toEqual([]);
  });

  it('makes labels unique and valid, and describes an empty table with no sections', async () => {
    const empty = await importIpvsadm(textSource('empty', '# nothing\n\n'));
    expect(empty.config).toEqual({});
    expect(empty.mapped).toBe(0);
    const result = await importIpvsadm(
      textSource('two', '-A -t 192.0.2.10:80\n-A -u 192.0.2.10:80 -s rr\n-A -t [2001:db8::1]:80\n'),
    );
    expect(result.config.layer4?.map((s) => s.label)).toEqual([
      'vs_192.0.2.10_80',
      'vs_192.0.2.10_80_udp',
      'vs_2001-db8--1_80',
    ]);
  });

  it('makes a TCP and a UDP service alike in all but protocol one "both" service, and keeps others apart', async () => {
    const result = await importIpvsadm(
      textSource(
        'dns',
        '-A -u 192.0.2.53:53 -s rr\n-a -u 192.0.2.53:53 -r 192.0.2.1 -g\n-A -t 192.0.2.53:53 -s rr\n-a -t 192.0.2.53:53 -r 192.0.2.1 -g\n-A -t 192.0.2.54:53 -s rr\n-A -u 192.0.2.54:53 -s wlc\n',
      ),
    );
    expect(result.config.layer4?.map((s) => [s.label, s.protocol])).toEqual([
      ['vs_192.0.2.53_53', 'both'],
      ['vs_192.0.2.54_53', 'tcp'],
      ['vs_192.0.2.54_53_udp', 'udp'],
    ]);
  });

  it('refuses a file over its bound, saying the bound', async () => {
    const big = '#'.repeat(MAX_IMPORT_BYTES + 1);
    const error = await importRefusal(importIpvsadm(textSource('big.txt', big)));
    expect(error.field).toBe('big.txt:1');
    expect(error.message).toContain(`larger than ${MAX_IMPORT_BYTES} bytes`);
  });

  it('reads only the named file', async () => {
    const source = corpusSource('ipvsadm', 'script.sh');
    await importIpvsadm(source);
    expect(source.reads).toEqual(['script.sh']);
  });
});
