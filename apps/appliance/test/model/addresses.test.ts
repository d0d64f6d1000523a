import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isIPv4, isIPv6 } from '../../src/model/addresses.js';
import { mulberry32 } from '../fuzz/random.js';

/**
 * The model's address checks stand in for node:net's in the browser and the daemon alike,
 * so they must say exactly what node:net says: a wizard answer or a configuration that one
 * takes and the other refuses would be judged differently in the page and in the API.
 */
const HARD_CASES = [
  // IPv4: ranges, leading zeros, short forms, spaces and line ends, look-alike digits.
  ...['0.0.0.0', '1.2.3.4', '255.255.255.255', '256.1.1.1', '1.2.3.256', '01.2.3.4', '1.2.3.04', '1.2.3', '1.2.3.4.5'],
  ...['1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4\n', '\uff11.2.3.4', '0x1.2.3.4', '1e1.2.3.4', ''],
  ...['1.2.3.4%eth0', '1.2.3.-4', '+1.2.3.4', '1.2.3.4/24', '199.249.300.1', '249.255.255.255', '100.100.100.100'],
  // IPv6: group counts with and without "::", group widths, IPv4 tails, zones.
  ...['::', '::1', '1::', ':::', '1:::2', ':1::', '1::2::3', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7'],
  ...[
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '1::2:3:4:5:6:7',
    '1::2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8::',
    '1:2:3:4:5:6:7:',
  ],
  ...[':1:2:3:4:5:6:7:8', '0001:2::', '00001::', '12345::', 'A::F', 'abcd:EF01::', 'g::', '1::-1', '::1\n', ' ::1'],
  ...['::1.2.3.4', '::ffff:1.2.3.4', '::ffff:255.255.255.255', '::ffff:256.1.1.1', '::ffff:01.2.3.4', '::1.2.3'],
  ...['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5:6::1.2.3.4', '1:2:3:4:5::1.2.3.4', '1.2.3.4::'],
  ...['1:2:3:4::5:1.2.3.4', '::1.2.3.4:1', '1::1.2.3.4.5', '::a:b:c:d:e:1.2.3.4', '::a:b:c:d:e:f:1.2.3.4'],
  ...['fe80::1%eth0', 'fe80::1%', 'fe80::1%eth 0', 'fe80::1%a.b-c:d', 'fe80::1%_', '::1%1', '::%1', '%1', '%'],
  ...['::1%eth0%1', '::1%%', '::1%\u00e9', '1:2:3:4:5:6:7:8%x', '::ffff:1.2.3.4%eth0', 'fe80::1%eth0/64', '[::1]'],
];

/** Valid addresses with one character changed, inserted or removed: the strings near the rules' edges. */
function mutations(seed: number, count: number): string[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const seeds = HARD_CASES.filter((text) => net.isIP(text) !== 0);
  const alphabet = '0123456789abcdefABCDEFgx:.%- ';
  return Array.from({ length: count }, () => {
    let text = pick(seeds);
    for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
      const at = Math.floor(random() * (text.length + 1));
      const kind = random();
      if (kind < 0.4) text = text.slice(0, at) + pick([...alphabet]) + text.slice(at);
      else if (kind < 0.7) text = text.slice(0, at) + text.slice(at + 1);
      else text = text.slice(0, at) + pick([...alphabet]) + text.slice(at + 1);
    }
    return text;
  });
}

const verdicts = (texts: readonly string[], v4: (t: string) => boolean, v6: (t: string) => boolean) =>
  texts.map((text) => [text, v4(text), v6(text)]);

describe('the model address checks', () => {
  it('accept and refuse what node:net accepts and refuses, on the hard cases', () => {
    expect(verdicts(HARD_CASES, isIPv4, isIPv6)).toEqual(verdicts(HARD_CASES, net.isIPv4, net.isIPv6));
    // The table holds both answers of each check, so it tells a check from a constant.
    const node = verdicts(HARD_CASES, net.isIPv4, net.isIPv6);
    expect(new Set(node.map(([, v4, v6]) => `${v4}${v6}`))).toEqual(new Set(['truefalse', 'falsetrue', 'falsefalse']));
  });

  it('read other values as their strings, as node:net does (a missing address is refused, not thrown on)', () => {
    const values = [undefined, null, 123, true, ['1.2.3.4'], { toString: () => '::1' }] as unknown as string[];
    expect(verdicts(values, isIPv4, isIPv6)).toEqual(verdicts(values, net.isIPv4, net.isIPv6));
    expect(verdicts(values, isIPv4, isIPv6).filter(([, v4, v6]) => v4 || v6)).toHaveLength(2);
  });

  it('agree with node:net on addresses one to three edits away from valid ones', () => {
    const texts = mutations(18, 20_000);
    expect(verdicts(texts, isIPv4, isIPv6)).toEqual(verdicts(texts, net.isIPv4, net.isIPv6));
    // Enough of the edited strings stay valid for the comparison to mean something.
    expect(texts.filter((text) => net.isIP(text) !== 0).length).toBeGreaterThan(1000);
  });
});
