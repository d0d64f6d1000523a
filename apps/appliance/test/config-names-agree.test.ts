import { isCookieName, isFilePath, isInterfaceName } from '@sluice/haproxy-config';
import { describe, expect, it } from 'vitest';
import { cookieName, filePath, interfaceName } from '../src/model/primitives.js';
import { mulberry32 } from './fuzz/random.js';

/**
 * "The schema and the renderers agree on what a name is" (issue #17): the configuration's
 * name rules are regular expressions of their own (they go into the web UI and the JSON
 * Schema), so this holds each of them to the package predicate that the renderer uses. A
 * name the schema takes and the renderer refuses would be stored and then fail every
 * apply; the other way round is only a narrower form.
 */
const PUNCTUATION = ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** Strings near each rule's edges: punctuation, leading dashes, dots, separators, long ones, non-ASCII. */
function corpus(seed: number, count: number): string[] {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const alphabet = `abcXYZ019${PUNCTUATION}\t\n\r\u0000\u007f\u00e9\u2028\u202e\ud800`;
  const fixed = ['', '-', '--x', '.', '..', 'eth0', 'eth0:1', 'a/b', '/etc/x.pem', '/a b', '/x/../y', 'SRV', 'a#b'];
  const made = Array.from({ length: count }, () => {
    const length = 1 + int(random() < 0.1 ? 40 : 12);
    let text = random() < 0.3 ? '/' : '';
    for (let i = 0; i < length; i++) text += alphabet[int(alphabet.length)];
    return text;
  });
  return [...fixed, ...made];
}

describe('the configuration names agree with @sluice/haproxy-config', () => {
  const cases = [
    { name: 'interface names', schema: interfaceName, renderer: isInterfaceName },
    { name: 'cookie names', schema: cookieName, renderer: isCookieName },
    { name: 'file paths', schema: filePath, renderer: isFilePath },
  ];
  for (const { name, schema, renderer } of cases) {
    it(`${name}: every one the schema takes, the renderer takes`, () => {
      const strings = corpus(name.length * 7919, 5000);
      const wider = strings.filter((value) => schema.safeParse(value).success && !renderer(value));
      expect(wider).toEqual([]);
      // The corpus reaches both sides of the rule, or the test could not fail.
      expect(strings.some((value) => schema.safeParse(value).success)).toBe(true);
      expect(strings.some((value) => !schema.safeParse(value).success)).toBe(true);
    });
  }
});
