import { describe, expect, it } from 'vitest';
import { MAX_IMPORT_BYTES } from '../../src/import/contract.js';
import { importHaproxy } from '../../src/import/haproxy/index.js';
import { lineWords } from '../../src/import/haproxy/tokenize.js';
import { validateConfig } from '../../src/model/validate.js';
import { importRefusal, itMatchesGoldens, itRefusesBroken, textSource } from './golden-corpus.js';

describe('the haproxy.cfg corpus', () => {
  itMatchesGoldens('haproxy', importHaproxy);

  itRefusesBroken('haproxy', importHaproxy, [
    ['broken-quote.cfg', 3, /unterminated double quote/],
    ['broken-backend.cfg', 3, /no backend named "missing"/],
    ['broken-acl.cfg', 5, /no ACL named "nope"/],
    ['broken-outside.cfg', 2, /"bind" outside a section/],
    ['broken-bind.cfg', 2, /"bind" is not allowed in a backend section/],
    ['broken-weight.cfg', 2, /server weight needs a whole number from 0 to 256, not "300"/],
    ['broken-ssl.cfg', 2, /an ssl bind needs a certificate/],
    ['broken-twice.cfg', 4, /a proxy named "b" is already at line 1/],
    ['broken-listener.cfg', 7, /layer7\[1\]\.ports\[0\]: 0\.0\.0\.0 tcp port 80 overlaps layer7\[0\]\.ports\[0\]/],
    ['broken-else.cfg', 3, /\.else without \.if/],
  ]);
});

describe('haproxy.cfg words', () => {
  it.each([
    ['bind :80 # comment', ['bind', ':80']],
    ['acl a path_beg "/a#b" /c\\ d \'/e#f\'', ['acl', 'a', 'path_beg', '/a#b', '/c d', '/e#f']],
    ['log-format "%{+Q}o %t"\' %s\'\\ %r', ['log-format', '%{+Q}o %t %s %r']],
    ['x \'a\\b\' "a\\"b" \\x41', ['x', 'a\\b', 'a"b', 'A']],
    ['x "" y', ['x', '', 'y']],
    ['x \\', ['x', '\\']],
  ])('%s', (text, words) => {
    expect(lineWords('t', 1, text)?.words).toEqual(words);
  });

  it('flags environment variables outside single quotes only', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: haproxy.cfg's own ${NAME}, not a template
    expect(lineWords('t', 1, 'bind "${VIP}:80"')?.env).toBe(true);
    expect(lineWords('t', 1, 'bind $VIP:80')?.env).toBe(true);
    expect(lineWords('t', 1, "bind '$VIP:80'")?.env).toBe(false);
    expect(lineWords('t', 1, 'bind "\\$VIP:80"')?.env).toBe(false);
    expect(lineWords('t', 1, 'x 5$')?.env).toBe(false);
  });

  it('has no line continuation: a trailing backslash joins nothing', async () => {
    const result = await importHaproxy(
      textSource(
        'c.cfg',
        'frontend f \\\n  bind 192.0.2.1:80\n  mode http\n  default_backend b\nbackend b\n  mode http\n',
      ),
    );
    expect(result.config.layer7?.map((s) => s.label)).toEqual(['f']);
  });
});

describe('what haproxy.cfg says that the model cannot', () => {
  it('notes it at its line: unused check settings, a relative certificate, AND and tcp-mode rules', async () => {
    const cfg = [
      'frontend t',
      '  mode tcp',
      '  bind 192.0.2.1:443 ssl crt site.pem',
      '  acl a path_beg /a',
      '  use_backend b if a',
      '  default_backend b',
      'frontend h',
      '  mode http',
      '  bind 192.0.2.1:80',
      '  acl x path_beg /x',
      '  acl y hdr(host) a.example',
      '  use_backend c if x y',
      '  default_backend c',
      'backend b',
      '  mode tcp',
      '  server s 192.0.2.2:443',
      'backend c',
      '  mode http',
      '  option httpchk /up',
      '  server s 192.0.2.3:80',
      '',
    ].join('\n');
    const result = await importHaproxy(textSource('n.cfg', cfg));
    expect(result.notes.map((n) => [n.line, n.directive, n.kind])).toEqual([
      [1, 'frontend', 'lossy'],
      [3, 'bind', 'unsupported'],
      [4, 'acl', 'unsupported'],
      [5, 'use_backend', 'unsupported'],
      [10, 'acl', 'unsupported'],
      [11, 'acl', 'unsupported'],
      [12, 'use_backend', 'unsupported'],
      [19, 'option httpchk', 'unsupported'],
    ]);
    expect(result.notes[3]?.message).toBe('URL rules need mode http; left out');
    expect(result.notes[6]?.message).toMatch(/several tests at once \(AND\)/);
    expect(result.config.ssl).toBeUndefined();
  });
});

describe('hostile haproxy.cfg', () => {
  it('turns names with a newline, quotes or other characters into valid, unique labels', async () => {
    const cfg = [
      'defaults',
      '  mode http',
      'frontend "evil\\nname"',
      '  bind 192.0.2.1:80',
      "  default_backend 'we\"ird'",
      'frontend "evil name"',
      '  bind 192.0.2.1:81',
      "  default_backend 'we\"ird'",
      "backend 'we\"ird'",
      '  server "-x\\r" 192.0.2.2:80',
      '',
    ].join('\n');
    const result = await importHaproxy(textSource('h.cfg', cfg));
    expect(result.config.layer7?.map((s) => s.label)).toEqual(['evil_name', 'evil_name_2']);
    expect(result.config.layer7?.[0]?.realServers?.[0]?.label).toBe('x-x_');
    expect(validateConfig({ ...result.config }).errors).toEqual([]);
  });

  it('refuses a file over its bound, saying the bound, and a line of too many words', async () => {
    const error = await importRefusal(importHaproxy(textSource('big.cfg', '#'.repeat(MAX_IMPORT_BYTES + 1))));
    expect(error.field).toBe('big.cfg:1');
    expect(error.message).toContain(`larger than ${MAX_IMPORT_BYTES} bytes`);
    const words = await importRefusal(importHaproxy(textSource('w.cfg', `global\n  x${' y'.repeat(64)}\n`)));
    expect(words.field).toBe('w.cfg:2');
  });

  it('reads a 10,000-line file in one pass', async () => {
    const lines = ['defaults', '  mode http'];
    for (let i = 0; lines.length < 10_000; i++) {
      const a = `192.0.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
      lines.push(
        `frontend f${i}`,
        `  bind ${a}:80`,
        `  default_backend b${i}`,
        `backend b${i}`,
        `  server s ${a}:8080 check`,
      );
    }
    const result = await importHaproxy(textSource('big.cfg', lines.join('\n')));
    expect(result.config.layer7?.length).toBe(2000);
    expect(result.notes).toEqual([]);
  });
});
