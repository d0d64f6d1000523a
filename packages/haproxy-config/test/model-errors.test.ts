import { describe, expect, it } from 'vitest';
import { type HaproxyConfig, HaproxyConfigError, render } from '../src/index.js';
import { fullModel } from './fixtures/full-model.js';

function base(): HaproxyConfig {
  return {
    frontends: [{ name: 'web', binds: [{ address: '0.0.0.0', ports: [80] }], defaultBackend: 'app' }],
    backends: [{ name: 'app', servers: [{ name: 'a', address: '192.0.2.1', port: 80 }] }],
  };
}

function failure(mutate: (config: HaproxyConfig) => void): HaproxyConfigError {
  const config = base();
  mutate(config);
  try {
    render(config);
  } catch (error) {
    if (error instanceof HaproxyConfigError) return error;
    throw error;
  }
  throw new Error('render accepted the model');
}

// biome-ignore lint/suspicious/noExplicitAny: tests write deliberately wrong shapes
type Loose = any;

const front = (c: HaproxyConfig) => c.frontends[0] as Loose;
const back = (c: HaproxyConfig) => c.backends[0] as Loose;
const server = (c: HaproxyConfig) => back(c).servers[0];

describe('render refuses injection with a coded error naming the field', () => {
  it.each<[string, (c: HaproxyConfig) => void, string]>([
    [
      'newline in a backend name',
      (c) => {
        back(c).name = 'app\n    stats enable';
        front(c).defaultBackend = back(c).name;
      },
      'backends[0].name',
    ],
    [
      'newline in a server name',
      (c) => {
        server(c).name = 'a\nserver evil 203.0.113.1:80';
      },
      'backends[0].servers[0].name',
    ],
    [
      'space in a frontend name',
      (c) => {
        front(c).name = 'web evil';
      },
      'frontends[0].name',
    ],
    [
      'newline in a header value',
      (c) => {
        front(c).headers = [{ action: 'set', name: 'X-A', value: 'ok\nhttp-request deny' }];
      },
      'frontends[0].headers[0].value',
    ],
    [
      'carriage return in a header value',
      (c) => {
        front(c).headers = [{ action: 'add', name: 'X-A', value: 'a\rb' }];
      },
      'frontends[0].headers[0].value',
    ],
    [
      'colon in a header name',
      (c) => {
        front(c).headers = [{ action: 'delete', name: 'X-A: b' }];
      },
      'frontends[0].headers[0].name',
    ],
    [
      'newline in a certificate path',
      (c) => {
        front(c).binds[0].tls = { certificates: ['/a.pem\n    bind :1'] };
      },
      'frontends[0].binds[0].tls.certificates[0]',
    ],
    [
      'relative certificate path',
      (c) => {
        front(c).binds[0].tls = { certificates: ['a.pem'] };
      },
      'frontends[0].binds[0].tls.certificates[0]',
    ],
    [
      'NUL in an ACL pattern',
      (c) => {
        front(c).rules = [{ backend: 'app', conditions: [{ kind: 'pathPrefix', values: ['/a\u0000'] }] }];
      },
      'frontends[0].rules[0].conditions[0].values[0]',
    ],
    [
      'newline in an ACL pattern',
      (c) => {
        front(c).rules = [{ backend: 'app', conditions: [{ kind: 'pathPrefix', values: ['/a\n'] }] }];
      },
      'frontends[0].rules[0].conditions[0].values[0]',
    ],
    [
      'bad regex',
      (c) => {
        front(c).rules = [{ backend: 'app', conditions: [{ kind: 'pathRegex', values: ['(('] }] }];
      },
      'frontends[0].rules[0].conditions[0].values[0]',
    ],
    [
      'host with a wildcard',
      (c) => {
        front(c).rules = [{ backend: 'app', conditions: [{ kind: 'host', values: ['*.example.com'] }] }];
      },
      'frontends[0].rules[0].conditions[0].values[0]',
    ],
    [
      'host with a space',
      (c) => {
        front(c).rules = [{ backend: 'app', conditions: [{ kind: 'host', values: ['a b'] }] }];
      },
      'frontends[0].rules[0].conditions[0].values[0]',
    ],
    [
      'lowercase method',
      (c) => {
        front(c).rules = [{ backend: 'app', conditions: [{ kind: 'method', values: ['get'] }] }];
      },
      'frontends[0].rules[0].conditions[0].values[0]',
    ],
    [
      'rule without conditions',
      (c) => {
        front(c).rules = [{ backend: 'app', conditions: [] }];
      },
      'frontends[0].rules[0].conditions',
    ],
    [
      'newline in a comment',
      (c) => {
        back(c).comment = 'x\nstats enable';
      },
      'backends[0].comment',
    ],
    [
      'newline in agent-send',
      (c) => {
        server(c).agent = { port: 1, send: 'a\nb' };
      },
      'backends[0].servers[0].agent.send',
    ],
    [
      'hostname as server address',
      (c) => {
        server(c).address = 'app.example.com';
      },
      'backends[0].servers[0].address',
    ],
    [
      'port 0',
      (c) => {
        server(c).port = 0;
      },
      'backends[0].servers[0].port',
    ],
    [
      'port 65536',
      (c) => {
        front(c).binds[0].ports = [65536];
      },
      'frontends[0].binds[0].ports[0]',
    ],
    [
      'weight 257',
      (c) => {
        server(c).weight = 257;
      },
      'backends[0].servers[0].weight',
    ],
    [
      'fractional weight',
      (c) => {
        server(c).weight = 1.5;
      },
      'backends[0].servers[0].weight',
    ],
    [
      'bind without ports',
      (c) => {
        front(c).binds[0].ports = [];
      },
      'frontends[0].binds[0].ports',
    ],
    [
      'v6only on IPv4',
      (c) => {
        front(c).binds[0].v6only = true;
      },
      'frontends[0].binds[0].v6only',
    ],
    [
      'unknown balance',
      (c) => {
        back(c).balance = { algorithm: 'random-ish' };
      },
      'backends[0].balance.algorithm',
    ],
    [
      'hdr balance without header',
      (c) => {
        back(c).balance = { algorithm: 'hdr' };
      },
      'backends[0].balance.header',
    ],
    [
      'bad except network',
      (c) => {
        front(c).forwardFor = { except: '10.0.0.0/33' };
      },
      'frontends[0].forwardFor.except',
    ],
    [
      'cookie name with ;',
      (c) => {
        back(c).persistence = { type: 'cookie-insert', cookie: 'A;B' };
      },
      'backends[0].persistence.cookie',
    ],
    [
      'verify required without CA',
      (c) => {
        server(c).tls = { verify: 'required' };
      },
      'backends[0].servers[0].tls.ca',
    ],
    [
      'SNI with injection',
      (c) => {
        server(c).tls = { verify: 'none', sni: 'a) if TRUE' };
      },
      'backends[0].servers[0].tls.sni',
    ],
    [
      'ALPN with a space',
      (c) => {
        front(c).binds[0].tls = { certificates: ['/a.pem'], alpn: ['h2 x'] };
      },
      'frontends[0].binds[0].tls.alpn[0]',
    ],
    [
      'set header without value',
      (c) => {
        front(c).headers = [{ action: 'set', name: 'X-A' }];
      },
      'frontends[0].headers[0].value',
    ],
    [
      'bad log level',
      (c) => {
        c.global = { log: [{ address: '/dev/log', level: 'loud' }] };
      },
      'global.log[0].level',
    ],
    [
      'newline in admin socket path',
      (c) => {
        c.global = { adminSocket: { path: '/run/a.sock\nuser root' } };
      },
      'global.adminSocket.path',
    ],
    [
      'negative timeout',
      (c) => {
        c.defaults = { timeouts: { client: -1 } };
      },
      'defaults.timeouts.client',
    ],
    [
      'cookie value without cookie persistence',
      (c) => {
        server(c).cookie = 'x';
      },
      'backends[0].servers[0].cookie',
    ],
    [
      'redirect code 200',
      (c) => {
        front(c).redirectToHttps = { code: 200 };
      },
      'frontends[0].redirectToHttps.code',
    ],
    // #17 item 11: `#` starts a comment and `'` a quoted string where HAProxy reads the name.
    [
      '# in a forwardfor header name',
      (c) => {
        front(c).forwardFor = { header: 'X-Client#IP', ifNone: true };
      },
      'frontends[0].forwardFor.header',
    ],
    [
      "' in a header name",
      (c) => {
        back(c).headers = [{ action: 'delete', name: "X-A'b" }];
      },
      'backends[0].headers[0].name',
    ],
    [
      '# in a balance header',
      (c) => {
        back(c).balance = { algorithm: 'hdr', header: 'Host#x' };
      },
      'backends[0].balance.header',
    ],
    // #17 item 9: what the model allowed but HAProxy (or HTTP) refuses or reads otherwise.
    [
      'a colon in a cookie name (no HTTP token)',
      (c) => {
        back(c).persistence = { type: 'cookie-insert', cookie: 'SRV:ID' };
      },
      'backends[0].persistence.cookie',
    ],
    [
      'a space in a certificate path',
      (c) => {
        front(c).binds[0].tls = { certificates: ['/etc/ssl/my site.pem'] };
      },
      'frontends[0].binds[0].tls.certificates[0]',
    ],
    [
      'an empty header value (HAProxy: "expects exactly 2 arguments")',
      (c) => {
        front(c).headers = [{ action: 'set', name: 'X-A', value: '' }];
      },
      'frontends[0].headers[0].value',
    ],
    [
      'a header value ending in a space (HTTP drops it)',
      (c) => {
        front(c).headers = [{ action: 'add', name: 'X-A', value: 'a ' }];
      },
      'frontends[0].headers[0].value',
    ],
    [
      'a line separator in a header value',
      (c) => {
        front(c).headers = [{ action: 'add', name: 'X-A', value: 'a\u2028b' }];
      },
      'frontends[0].headers[0].value',
    ],
    [
      'a lone surrogate in a comment (UTF-8 would write another value)',
      (c) => {
        back(c).comment = 'a\ud800b';
      },
      'backends[0].comment',
    ],
    [
      'a regex escape PCRE2 refuses',
      (c) => {
        front(c).rules = [{ backend: 'app', conditions: [{ kind: 'pathRegex', values: ['^/\\q'] }] }];
      },
      'frontends[0].rules[0].conditions[0].values[0]',
    ],
    [
      'a non-ASCII health check path',
      (c) => {
        back(c).healthCheck = { type: 'http', path: '/h\u00e9' };
      },
      'backends[0].healthCheck.path',
    ],
    [
      'a checked server with neither port nor check port',
      (c) => {
        delete server(c).port;
      },
      'backends[0].servers[0].checkPort',
    ],
    [
      'an unknown frontend mode (not a mode mismatch)',
      (c) => {
        front(c).mode = 'udp';
      },
      'frontends[0].mode',
    ],
  ])('%s', (_what, mutate, field) => {
    const error = failure(mutate);
    expect(error.code).toBe('HAPROXY_INVALID_FIELD');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });
});

describe('render checks the model across objects', () => {
  it('refuses two backends with one name', () => {
    const error = failure((c) => c.backends.push({ name: 'app', servers: [] }));
    expect([error.code, error.field]).toEqual(['HAPROXY_DUPLICATE_NAME', 'backends[1].name']);
  });

  it('refuses two servers with one name', () => {
    const error = failure((c) => back(c).servers.push({ name: 'a', address: '192.0.2.2' }));
    expect([error.code, error.field]).toEqual(['HAPROXY_DUPLICATE_NAME', 'backends[0].servers[1].name']);
  });

  it('refuses a use_backend to nowhere', () => {
    const error = failure((c) => {
      front(c).rules = [{ backend: 'ghost', conditions: [{ kind: 'pathPrefix', values: ['/'] }] }];
    });
    expect([error.code, error.field]).toEqual(['HAPROXY_UNKNOWN_REFERENCE', 'frontends[0].rules[0].backend']);
  });

  it('refuses a default backend to nowhere', () => {
    const error = failure((c) => {
      front(c).defaultBackend = 'ghost';
    });
    expect([error.code, error.field]).toEqual(['HAPROXY_UNKNOWN_REFERENCE', 'frontends[0].defaultBackend']);
  });

  it.each<[string, (c: HaproxyConfig) => void, string]>([
    [
      'tcp frontend to http backend',
      (c) => {
        front(c).mode = 'tcp';
      },
      'frontends[0].defaultBackend',
    ],
    [
      'cookie persistence in tcp',
      (c) => {
        front(c).mode = 'tcp';
        back(c).mode = 'tcp';
        back(c).persistence = { type: 'cookie-insert', cookie: 'S' };
      },
      'backends[0].persistence.type',
    ],
    [
      'rdp persistence in http',
      (c) => {
        back(c).persistence = { type: 'rdp-cookie' };
      },
      'backends[0].persistence.type',
    ],
    [
      'ssl session id in http',
      (c) => {
        back(c).persistence = { type: 'ssl-session-id' };
      },
      'backends[0].persistence.type',
    ],
    [
      'path rule in tcp',
      (c) => {
        front(c).mode = 'tcp';
        back(c).mode = 'tcp';
        front(c).rules = [{ backend: 'app', conditions: [{ kind: 'pathPrefix', values: ['/'] }] }];
      },
      'frontends[0].rules[0].conditions[0].kind',
    ],
    [
      'forwardfor in tcp',
      (c) => {
        front(c).mode = 'tcp';
        back(c).mode = 'tcp';
        front(c).forwardFor = true;
      },
      'frontends[0].forwardFor',
    ],
    [
      'hsts in tcp',
      (c) => {
        front(c).mode = 'tcp';
        back(c).mode = 'tcp';
        front(c).hsts = true;
      },
      'frontends[0].hsts',
    ],
    [
      'an ipv4 source table reached by an IPv6 listener',
      (c) => {
        front(c).binds.push({ address: '2001:db8::1', ports: [80] });
        back(c).persistence = { type: 'source', family: 'ipv4' };
      },
      'backends[0].persistence.family',
    ],
  ])('refuses %s with HAPROXY_INCOMPATIBLE', (_what, mutate, field) => {
    const error = failure(mutate);
    expect([error.code, error.field]).toEqual(['HAPROXY_INCOMPATIBLE', field]);
  });
});

describe('source persistence follows the listeners (#17 item 12)', () => {
  const table = (text: string) => /stick-table type (\S+)/.exec(text)?.[1];
  it.each<[string, (c: HaproxyConfig) => void, string]>([
    ['an IPv4 listener', () => {}, 'ip'],
    ['an IPv6 listener', (c) => front(c).binds.push({ address: '2001:db8::1', ports: [80] }), 'ipv6'],
    ['a dual-stack listener on ::', (c) => (front(c).binds = [{ address: '::', ports: [80] }]), 'ipv6'],
    ['a PROXY protocol listener on IPv4', (c) => (front(c).binds[0].acceptProxy = true), 'ipv6'],
    [
      'an IPv6 listener through a rule',
      (c) => {
        c.frontends.push({
          name: 'v6',
          binds: [{ address: '2001:db8::1', ports: [8080] }],
          rules: [{ backend: 'app', conditions: [{ kind: 'pathPrefix', values: ['/'] }] }],
        });
      },
      'ipv6',
    ],
  ])('gives the default table the type for %s', (_what, mutate, type) => {
    const config = base();
    back(config).persistence = { type: 'source' };
    mutate(config);
    expect(table(render(config))).toBe(type);
  });
});

describe('ACL patterns starting with "-" (#17 item 10)', () => {
  it('ends the flags with -- when the dash-leading pattern is quoted', () => {
    const config = base();
    front(config).rules = [{ backend: 'app', conditions: [{ kind: 'pathPrefix', values: ['/a', '-x y'] }] }];
    expect(render(config)).toContain("acl rule0 path_beg -- /a '-x y'");
  });
});

describe('quoting', () => {
  it('keeps quotes, dollars and percents literal', () => {
    const text = render(fullModel());
    expect(text).toContain(`http-request set-header X-Via "sluice 100%% 'quoted' \\"double\\" \\$HOME"`);
    expect(text).toContain(`acl api_post_2 path_reg '^/v[0-9]+/.*\\.json$'`);
    expect(text).toContain('acl legacy path -- -odd');
  });

  it('writes no line that the model did not ask for', () => {
    const text = render(fullModel());
    expect(text.includes('\r') || text.includes('\u0000')).toBe(false);
  });
});

describe('hash-type and server ids (consistent hashing that several instances agree on)', () => {
  const backendText = (c: HaproxyConfig) => render(c).split('\nbackend app\n')[1] ?? '';

  it.each(['map-based', 'consistent'] as const)('writes hash-type %s after the balance line', (hashType) => {
    const config = base();
    back(config).balance = { algorithm: 'source', hashType };
    expect(backendText(config)).toContain(`    balance source\n    hash-type ${hashType}\n`);
  });

  it('writes hash-type for every hashing algorithm', () => {
    const algorithms = [
      { algorithm: 'uri' },
      { algorithm: 'hdr', header: 'Host' },
      { algorithm: 'rdp-cookie', mode: 'tcp' },
      { algorithm: 'source' },
    ] as const;
    for (const { mode, ...balance } of algorithms.map((a) => ({ mode: 'http' as const, ...a }))) {
      const config = base();
      front(config).mode = mode;
      back(config).mode = mode;
      back(config).balance = { ...balance, hashType: 'consistent' };
      expect(backendText(config)).toContain('    hash-type consistent\n');
    }
  });

  it('writes no hash-type unless asked', () => {
    const config = base();
    back(config).balance = { algorithm: 'source' };
    expect(render(config)).not.toContain('hash-type');
  });

  it.each<[string, (c: HaproxyConfig) => void, string, string]>([
    [
      'a hash type on an algorithm that hashes nothing',
      (c) => (back(c).balance = { algorithm: 'roundrobin', hashType: 'consistent' }),
      'HAPROXY_INVALID_FIELD',
      'backends[0].balance.hashType',
    ],
    [
      'a hash type that is not one',
      (c) => (back(c).balance = { algorithm: 'source', hashType: 'consistent\n    stats enable' }),
      'HAPROXY_INVALID_FIELD',
      'backends[0].balance.hashType',
    ],
    ['a server id of 0', (c) => (server(c).id = 0), 'HAPROXY_INVALID_FIELD', 'backends[0].servers[0].id'],
    ['a fractional server id', (c) => (server(c).id = 1.5), 'HAPROXY_INVALID_FIELD', 'backends[0].servers[0].id'],
    [
      'a server id past 32 bits',
      (c) => (server(c).id = 2_147_483_648),
      'HAPROXY_INVALID_FIELD',
      'backends[0].servers[0].id',
    ],
    [
      'a server id that smuggles a line',
      (c) => (server(c).id = '7\n    stats enable'),
      'HAPROXY_INVALID_FIELD',
      'backends[0].servers[0].id',
    ],
    [
      'two servers with one id',
      (c) => {
        server(c).id = 9;
        back(c).servers.push({ name: 'b', id: 9, address: '192.0.2.2', port: 80 });
      },
      'HAPROXY_DUPLICATE_NAME',
      'backends[0].servers[1].id',
    ],
  ])('refuses %s', (_what, mutate, code, field) => {
    const error = failure(mutate);
    expect([error.code, error.field]).toEqual([code, field]);
  });

  it('writes a server id right after the address', () => {
    const config = base();
    server(config).id = 2_147_483_647;
    expect(backendText(config)).toContain('    server a 192.0.2.1:80 id 2147483647 check\n');
  });
});
