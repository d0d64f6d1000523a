// The kinds of names, defined once in src/strings.ts and exported for the appliance's
// schema (#17 item 9: "the schema and the renderers must agree on what a name is").
import { describe, expect, it } from 'vitest';
import { isCookieName, isFilePath, isHeaderName, isInterfaceName, isName, isText } from '../src/index.js';

describe('the exported name predicates', () => {
  it.each<[string, (v: unknown) => boolean, string[], unknown[]]>([
    [
      "isHeaderName (HTTP token without # and ')",
      isHeaderName,
      ['X-Forwarded-For', 'x_a', 'a!$%&*+.^_`|~-z', 'A'.repeat(100)],
      ['X-Client#IP', "X'a", 'a b', 'a:b', 'a"b', 'é', '', 'A'.repeat(101), 7],
    ],
    [
      'isCookieName (RFC 6265 token, same characters)',
      isCookieName,
      ['SRV', 'JSESSIONID', 'a.b-c_d'],
      ['SRV#x', 'a:b', 'a=b', 'a;b', 'a,b', "a'b", '', null],
    ],
    [
      'isInterfaceName (IFNAMSIZ, no leading -)',
      isInterfaceName,
      ['eth0', 'vlan.10', 'br-lan', 'a'.repeat(15), '...'],
      ['-eth0', '.', '..', 'a/b', 'a:1', 'a b', 'a'.repeat(16), '', 'é', 'a\n'],
    ],
    [
      'isFilePath (absolute, plain characters)',
      isFilePath,
      ['/etc/ssl/site.pem', '/run/haproxy/admin.sock', '/a/b@c=d,e:f+g~h'],
      ['relative.pem', '/my site.pem', "/a'b", '/a#b', '/a$b', '/a\\b', '/é', `/${'a'.repeat(4096)}`, ''],
    ],
    ['isName', isName, ['app', 'a.b:c-d_e', '0'], ['-a', 'a b', 'a#b', '', 'a'.repeat(101)]],
    [
      'isText (no control, line separator or lone surrogate)',
      isText,
      ['', 'it\'s 100% "$HOME" #1', 'é中😀'],
      ['a\nb', 'a\u0085b', 'a\u2028b', 'a\u2029b', '\ud800', 'a\udc00', '\x7f', 3],
    ],
  ])('%s', (_what, predicate, good, bad) => {
    expect(good.filter((v) => !predicate(v))).toEqual([]);
    expect(bad.filter((v) => predicate(v))).toEqual([]);
  });
});
