import { describe, expect, it } from 'vitest';
import {
  HaproxyConfigError,
  type PoundConfig,
  type PoundSessionType,
  renderPound,
  TLS_POLICIES,
} from '../src/index.js';
import { find, parsePound, value } from './helpers/pound-tree.js';

function model(): PoundConfig {
  return {
    user: 'www-data',
    group: 'www-data',
    control: '/run/pound/poundctl.socket',
    listeners: [
      {
        protocol: 'https',
        address: '192.0.2.10',
        port: 443,
        certificates: ['/etc/pound/site.pem', '/etc/pound/other.pem'],
        xHTTP: 2,
        addHeaders: ['X-Balancer: sluice'],
        services: [
          {
            name: 'images',
            url: '^/images/.*',
            backends: [{ address: '192.0.2.31', port: 8080 }],
            session: { type: 'IP', ttlSeconds: 600 },
          },
        ],
      },
      { protocol: 'http', address: '2001:db8::10', port: 80 },
    ],
    services: [
      {
        name: 'app',
        headRequire: 'Host: .*example\\.com',
        backends: [
          { address: '192.0.2.21', port: 80, priority: 7, timeoutSeconds: 20 },
          { address: '192.0.2.22', port: 443, https: true },
        ],
        emergency: { address: '192.0.2.99', port: 8080 },
        session: { type: 'COOKIE', id: 'JSESSIONID', ttlSeconds: 300 },
      },
    ],
  };
}

describe('renderPound', () => {
  it('renders the golden Pound configuration', async () => {
    await expect(renderPound(model())).toMatchFileSnapshot('golden/pound.cfg');
  });

  it('renders an HTTPS listener as the appliance manual describes', () => {
    const tree = parsePound(renderPound(model()));
    expect(value(tree, 'User')).toEqual(['www-data']);
    expect(value(tree, 'Daemon')).toEqual(['0']);
    const [https, http] = [...find(tree, 'ListenHTTPS'), ...find(tree, 'ListenHTTP')];
    expect(https && http).toBeTruthy();
    if (!https || !http) return;
    expect(value(https, 'Address')).toEqual(['192.0.2.10']);
    expect(value(https, 'Port')).toEqual(['443']);
    expect(find(https, 'Cert').map((n) => n.args[0])).toEqual(['/etc/pound/site.pem', '/etc/pound/other.pem']);
    expect(value(https, 'Ciphers')).toEqual([TLS_POLICIES.intermediate.ciphers]);
    expect(value(https, 'Disable')).toEqual(['TLSv1_1']);
    expect(value(https, 'xHTTP')).toEqual(['2']);
    expect(find(https, 'AddHeader').map((n) => n.args[0])).toEqual(['X-Forwarded-Proto: https', 'X-Balancer: sluice']);
    const [service] = find(https, 'Service');
    expect(service?.args).toEqual(['images']);
    expect(value(service ?? tree, 'URL')).toEqual(['^/images/.*']);
    expect(find(http, 'AddHeader')).toEqual([]);
    expect(value(http, 'Address')).toEqual(['2001:db8::10']);
  });

  it('renders services with backends, emergency and session blocks', () => {
    const tree = parsePound(renderPound(model()));
    const [app] = find(tree, 'Service');
    if (!app) throw new Error('no global service');
    expect(app.args).toEqual(['app']);
    expect(value(app, 'HeadRequire')).toEqual(['Host: .*example\\.com']);
    const backends = find(app, 'BackEnd');
    expect(backends.map((b) => [value(b, 'Address'), value(b, 'Port')])).toEqual([
      [['192.0.2.21'], ['80']],
      [['192.0.2.22'], ['443']],
    ]);
    expect(value(backends[0] ?? app, 'Priority')).toEqual(['7']);
    expect(value(backends[0] ?? app, 'TimeOut')).toEqual(['20']);
    expect(find(backends[1] ?? app, 'HTTPS')).toHaveLength(1);
    const [emergency] = find(app, 'Emergency');
    expect(value(emergency ?? app, 'Address')).toEqual(['192.0.2.99']);
    const [session] = find(app, 'Session');
    expect(session?.children.map((c) => [c.keyword, ...c.args])).toEqual([
      ['Type', 'COOKIE'],
      ['ID', 'JSESSIONID'],
      ['TTL', '300'],
    ]);
  });

  it.each<[PoundSessionType, string | undefined]>([
    ['IP', undefined],
    ['COOKIE', 'SESSIONID'],
    ['URL', 'sid'],
    ['PARM', undefined],
    ['BASIC', undefined],
    ['HEADER', 'X-Session'],
  ])('renders session type %s', (type, id) => {
    const config = model();
    const service = config.services?.[0];
    if (!service) throw new Error('fixture');
    service.session = id === undefined ? { type } : { type, id };
    const [session] = find(
      find(parsePound(renderPound(config)), 'Service')[0] ?? { keyword: '', args: [], children: [] },
      'Session',
    );
    expect(value(session ?? { keyword: '', args: [], children: [] }, 'Type')).toEqual([type]);
    expect(value(session ?? { keyword: '', args: [], children: [] }, 'ID')).toEqual(
      id === undefined ? undefined : [id],
    );
  });

  it.each([
    ['modern', 'TLSv1_2'],
    ['intermediate', 'TLSv1_1'],
    ['legacy', 'SSLv3'],
  ] as const)('maps the %s policy to Disable %s', (policy, disabled) => {
    const config = model();
    (config.listeners[0] as { policy?: string }).policy = policy;
    const [https] = find(parsePound(renderPound(config)), 'ListenHTTPS');
    expect(value(https ?? { keyword: '', args: [], children: [] }, 'Disable')).toEqual([disabled]);
  });

  it('closes every block it opens, with one directive a line', () => {
    const text = renderPound(model());
    expect(() => parsePound(text)).not.toThrow();
    const opened = text
      .split('\n')
      .filter((l) => /^\s*(ListenHTTPS?|Service|BackEnd|Emergency|Session)\b/.test(l)).length;
    const closed = text.split('\n').filter((l) => l.trim() === 'End').length;
    expect(closed).toBe(opened);
  });
});

describe('renderPound refuses bad input', () => {
  // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong shapes
  type Loose = any;
  it.each<[string, (c: Loose) => void, string]>([
    [
      'a quote in a certificate path',
      (c) => {
        c.listeners[0].certificates = ['/a".pem'];
      },
      'listeners[0].certificates[0]',
    ],
    [
      'a space in a certificate path (the one definition of a path, as for HAProxy)',
      (c) => {
        c.listeners[0].certificates = ['/etc/ssl/my site.pem'];
      },
      'listeners[0].certificates[0]',
    ],
    [
      'a newline in a URL pattern',
      (c) => {
        c.services[0].url = '^/a\nUser "root"';
      },
      'services[0].url',
    ],
    [
      'a bad regex',
      (c) => {
        c.services[0].url = '([';
      },
      'services[0].url',
    ],
    [
      'a header without a colon',
      (c) => {
        c.listeners[0].addHeaders = ['X-A'];
      },
      'listeners[0].addHeaders[0]',
    ],
    [
      'a newline in a header',
      (c) => {
        c.listeners[0].addHeaders = ['X-A: b\nEnd'];
      },
      'listeners[0].addHeaders[0]',
    ],
    [
      'a session id for IP',
      (c) => {
        c.services[0].session = { type: 'IP', id: 'x' };
      },
      'services[0].session.id',
    ],
    [
      'no session id for COOKIE',
      (c) => {
        c.services[0].session = { type: 'COOKIE' };
      },
      'services[0].session.id',
    ],
    [
      'a quote in a session id',
      (c) => {
        c.services[0].session = { type: 'COOKIE', id: 'a"b' };
      },
      'services[0].session.id',
    ],
    [
      'an unknown session type',
      (c) => {
        c.services[0].session = { type: 'SSL' };
      },
      'services[0].session.type',
    ],
    [
      'an https listener without a certificate',
      (c) => {
        c.listeners[0].certificates = [];
      },
      'listeners[0].certificates',
    ],
    [
      'a certificate on http',
      (c) => {
        c.listeners[1].certificates = ['/a.pem'];
      },
      'listeners[1].certificates',
    ],
    [
      'xHTTP 5',
      (c) => {
        c.listeners[0].xHTTP = 5;
      },
      'listeners[0].xHTTP',
    ],
    [
      'priority 10',
      (c) => {
        c.services[0].backends[0].priority = 10;
      },
      'services[0].backends[0].priority',
    ],
    [
      'a host name as backend',
      (c) => {
        c.services[0].backends[0].address = 'app.example.com';
      },
      'services[0].backends[0].address',
    ],
    [
      'a service without backends',
      (c) => {
        c.services[0].backends = [];
      },
      'services[0].backends',
    ],
    [
      'a bad emergency port',
      (c) => {
        c.services[0].emergency.port = 0;
      },
      'services[0].emergency.port',
    ],
    [
      'a relative control path',
      (c) => {
        c.control = 'ctl.sock';
      },
      'control',
    ],
  ])('%s', (_what, mutate, field) => {
    const config = model();
    mutate(config);
    let error: unknown;
    try {
      renderPound(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HaproxyConfigError);
    expect((error as HaproxyConfigError).code).toBe('HAPROXY_INVALID_FIELD');
    expect((error as HaproxyConfigError).field).toBe(field);
  });
});
