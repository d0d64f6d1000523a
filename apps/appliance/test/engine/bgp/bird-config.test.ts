import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BirdConfigInput, renderBirdConfig } from '../../../src/engine/bgp/bird-config.js';
import { birdBinary } from '../../../src/engine/bgp/bird-process.js';
import { ApplianceError } from '../../../src/errors.js';

const base: BirdConfigInput = {
  routerId: '192.0.2.11',
  localAsn: 64497,
  peers: [{ address: '192.0.2.1', asn: 64496 }],
  vips: [{ address: '203.0.113.10', state: 'announced' }],
};

const GOLDEN_FULL = `# Written by the Sluice appliance: every change here is lost at its next write.
log "/run/sluice/bird.log" all;
timeformat protocol iso long ms;
router id 192.0.2.11;

protocol device {}
protocol bfd {}
protocol static vips4 {
  ipv4;
  route 203.0.113.10/32 blackhole;
  route 203.0.113.11/32 blackhole;
}
protocol static vips6 {
  ipv6;
  route 2001:db8:10::10/128 blackhole;
}

# Only the VIPs leave this node; a draining VIP carries GRACEFUL_SHUTDOWN (RFC 8326), so a
# router that honours it keeps the route as a backup only.
filter vips_out {
  if proto != "vips4" && proto != "vips6" then reject;
  if net.type = NET_IP4 && net ~ [ 203.0.113.11/32 ] then bgp_community.add((65535, 0));
  if net.type = NET_IP6 && net ~ [ 2001:db8:10::10/128 ] then bgp_community.add((65535, 0));
  accept;
}

template bgp peer_defaults {
  connect delay time 1;
  connect retry time 5;
  error wait time 1, 30;
}
protocol bgp peer1 from peer_defaults {
  local as 4200000000;
  neighbor 192.0.2.1 as 64496;
  hold time 9;
  password "s3cret pass'word";
  bfd { min rx interval 300 ms; min tx interval 300 ms; multiplier 3; };
  ipv4 { import none; export filter vips_out; };
}
protocol bgp peer2 from peer_defaults {
  local as 4200000000;
  neighbor 2001:db8::1 as 4294967295;
  ipv6 { import none; export filter vips_out; };
}
`;

const GOLDEN_MINIMAL = `# Written by the Sluice appliance: every change here is lost at its next write.
log syslog all;
timeformat protocol iso long ms;
router id 192.0.2.11;

protocol device {}
protocol static vips4 {
  ipv4;
  route 203.0.113.10/32 blackhole;
}
protocol static vips6 {
  ipv6;
}

# Only the VIPs leave this node; a draining VIP carries GRACEFUL_SHUTDOWN (RFC 8326), so a
# router that honours it keeps the route as a backup only.
filter vips_out {
  if proto != "vips4" && proto != "vips6" then reject;
  accept;
}

template bgp peer_defaults {
  connect delay time 1;
  connect retry time 5;
  error wait time 1, 30;
}
protocol bgp peer1 from peer_defaults {
  local as 64497;
  neighbor 192.0.2.1 as 64496;
  ipv4 { import none; export filter vips_out; };
}
`;

/** The error a render throws, so that its code and field can be compared. */
function refusal(input: unknown): { code: string; field: string | undefined } {
  try {
    renderBirdConfig(input as BirdConfigInput);
  } catch (error) {
    expect(error).toBeInstanceOf(ApplianceError);
    const e = error as ApplianceError;
    return { code: e.code, field: e.field };
  }
  throw new Error(`rendered without a refusal: ${JSON.stringify(input)}`);
}

describe('renderBirdConfig', () => {
  it('renders peers of both families, a password, BFD, a hold time and VIPs announced, draining and withdrawn', () => {
    const text = renderBirdConfig({
      routerId: '192.0.2.11',
      localAsn: 4_200_000_000,
      logFile: '/run/sluice/bird.log',
      peers: [
        {
          address: '192.0.2.1',
          asn: 64496,
          password: "s3cret pass'word",
          bfd: { intervalMs: 300, multiplier: 3 },
          holdTimeSeconds: 9,
        },
        { address: '2001:DB8::1', asn: 4_294_967_295 },
      ],
      vips: [
        { address: '203.0.113.10', state: 'announced' },
        { address: '203.0.113.11', state: 'draining' },
        { address: '203.0.113.12', state: 'withdrawn' },
        { address: '2001:db8:10::10', state: 'draining' },
        { address: '2001:db8:10::11', state: 'withdrawn' },
      ],
    });
    expect(text).toBe(GOLDEN_FULL);
  });

  it('renders the smallest configuration: one peer, no BFD protocol, an empty IPv6 static and no drain line', () => {
    expect(renderBirdConfig(base)).toBe(GOLDEN_MINIMAL);
  });

  it('refuses hostile strings in every string field, naming the field', () => {
    const hostile = ['192.0.2.1;\nprotocol kernel {}', '192.0.2.1 }', '"192.0.2.1"', 'fe80::1%eth0;', '', ' 192.0.2.1'];
    for (const text of hostile) {
      expect(refusal({ ...base, routerId: text })).toEqual({ code: 'BGP_INVALID', field: 'routerId' });
      expect(refusal({ ...base, peers: [{ address: text, asn: 64496 }] })).toEqual({
        code: 'BGP_INVALID',
        field: 'peers[0].address',
      });
      expect(refusal({ ...base, vips: [base.vips[0], { address: text, state: 'announced' }] })).toEqual({
        code: 'BGP_INVALID',
        field: 'vips[1].address',
      });
    }
    const passwords = ['a"; export all; "', 'a\\', 'line\nbreak', 'ok\r', 'tab\t', 'é', '', 'x'.repeat(81)];
    for (const password of passwords) {
      expect(refusal({ ...base, peers: [{ address: '192.0.2.1', asn: 64496, password }] })).toEqual({
        code: 'BGP_INVALID',
        field: 'peers[0].password',
      });
    }
    for (const logFile of ['relative.log', '/tmp/a" all; #', '/tmp/a\n', '/tmp/a;b', '/tmp/a}']) {
      expect(refusal({ ...base, logFile })).toEqual({ code: 'BGP_INVALID', field: 'logFile' });
    }
    expect(refusal({ ...base, vips: [{ address: '203.0.113.10', state: 'up; }' }] })).toEqual({
      code: 'BGP_INVALID',
      field: 'vips[0].state',
    });
  });

  it('takes semicolons, braces and a single quote inside a password: the string is quoted', () => {
    const text = renderBirdConfig({ ...base, peers: [{ address: '192.0.2.1', asn: 64496, password: "a;b}c{d'e #f" }] });
    expect(text).toContain(`  password "a;b}c{d'e #f";\n`);
  });

  it('refuses numbers out of range or not integers', () => {
    for (const asn of [0, -1, 4_294_967_296, 1.5, '64496', Number.NaN]) {
      expect(refusal({ ...base, localAsn: asn })).toEqual({ code: 'BGP_INVALID', field: 'localAsn' });
      expect(refusal({ ...base, peers: [{ address: '192.0.2.1', asn }] })).toEqual({
        code: 'BGP_INVALID',
        field: 'peers[0].asn',
      });
    }
    const peer = { address: '192.0.2.1', asn: 64496 };
    expect(refusal({ ...base, peers: [{ ...peer, holdTimeSeconds: 2 }] }).field).toBe('peers[0].holdTimeSeconds');
    expect(refusal({ ...base, peers: [{ ...peer, holdTimeSeconds: '9; }' }] }).field).toBe('peers[0].holdTimeSeconds');
    expect(refusal({ ...base, peers: [{ ...peer, bfd: { intervalMs: 5, multiplier: 3 } }] }).field).toBe(
      'peers[0].bfd.intervalMs',
    );
    expect(refusal({ ...base, peers: [{ ...peer, bfd: { intervalMs: 300, multiplier: 0 } }] }).field).toBe(
      'peers[0].bfd.multiplier',
    );
  });

  it('refuses an IPv6 router id, no peers, and a VIP or peer listed twice', () => {
    expect(refusal({ ...base, routerId: '2001:db8::1' }).field).toBe('routerId');
    expect(refusal({ ...base, peers: [] }).field).toBe('peers');
    expect(
      refusal({
        ...base,
        vips: [
          { address: '2001:db8:10::1', state: 'announced' },
          { address: '2001:DB8:10:0::1', state: 'draining' },
        ],
      }),
    ).toEqual({ code: 'BGP_INVALID', field: 'vips[1].address' });
    expect(
      refusal({
        ...base,
        peers: [
          { address: '192.0.2.1', asn: 64496 },
          { address: '192.0.2.1', asn: 64499 },
        ],
      }),
    ).toEqual({ code: 'BGP_INVALID', field: 'peers[1].address' });
  });

  it('writes files that BIRD 2 itself parses (`bird -p`)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bird-config-'));
    try {
      for (const [name, text] of Object.entries({ full: GOLDEN_FULL, minimal: GOLDEN_MINIMAL })) {
        const file = join(dir, `${name}.conf`);
        writeFileSync(file, text);
        // Throws with BIRD's line:column message if the file does not parse (or bird2 is missing).
        expect(execFileSync(birdBinary(), ['-p', '-c', file], { encoding: 'utf8' })).toBe('');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
