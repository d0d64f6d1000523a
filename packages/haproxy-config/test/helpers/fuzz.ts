// Seeded random strings and every string field of the model, for the property tests:
// deterministic (a failure names its seed and value and reruns the same), no dependency.
import type { Backend, Frontend, HaproxyConfig } from '../../src/index.js';

/** mulberry32: a small PRNG with a 32-bit state, enough to spread test strings. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const PUNCTUATION = ASCII.replace(/[A-Za-z0-9]/g, '');
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
// Everything that ends a line for someone: C0 controls, DEL, NEL and C1, the Unicode separators.
const BREAKS = ['\n', '\r', '\r\n', '\t', '\v', '\f', '\0', '\x7f', '\u0085', '\u009b', '\u2028', '\u2029'];

/** Random strings of every shape the review named; each kind is drawn about as often. */
export function randomString(random: () => number): string {
  const pick = (chars: string) => chars[Math.floor(random() * chars.length)] as string;
  const length = (max: number) => 1 + Math.floor(random() * max);
  const from = (chars: string, max: number) => Array.from({ length: length(max) }, () => pick(chars)).join('');
  const kind = Math.floor(random() * 8);
  switch (kind) {
    case 0: {
      // All of Unicode, lone surrogates included.
      const codes = Array.from({ length: length(8) }, () =>
        random() < 0.5 ? Math.floor(random() * 0x110000) : Math.floor(random() * 0x800),
      );
      return codes.map((c) => (c > 0xffff ? String.fromCodePoint(c) : String.fromCharCode(c))).join('');
    }
    case 1:
      return from(ASCII, 12);
    case 2:
      return `-${from(ASCII, 10)}`;
    case 3: {
      const plain = from(ALNUM, 8);
      const at = Math.floor(random() * (plain.length + 1));
      return plain.slice(0, at) + (BREAKS[Math.floor(random() * BREAKS.length)] as string) + plain.slice(at);
    }
    case 4: {
      // A plausible token with one punctuation character: the likeliest to be accepted.
      const plain = from(ALNUM, 8);
      const at = Math.floor(random() * (plain.length + 1));
      return plain.slice(0, at) + pick(PUNCTUATION) + plain.slice(at);
    }
    case 5:
      return `/${from(`${ALNUM}._-/${PUNCTUATION}`, 12)}`;
    case 6:
      return from(`${ALNUM}-.`, 10);
    default:
      return random() < 0.2 ? '' : `${from(ALNUM, 4)}${from(PUNCTUATION, 3)}${from('\u00e9\u4e2d\u{1f600} ', 2)}`;
  }
}

/** One frontend and its backend, named after `k`, that every field is written into. */
export interface Pair {
  frontend: Frontend;
  backend: Backend;
}

export function pair(k: number): Pair {
  return {
    frontend: { name: `fe${k}`, binds: [{ address: '192.0.2.1', ports: [80] }], defaultBackend: `be${k}` },
    backend: { name: `be${k}`, servers: [{ name: 's', address: '198.51.100.1', port: 80 }] },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the fields take any string, even where the type says an enum
type Loose = any;

export interface StringField {
  /** The field path the error must name, for pair `k`. */
  path(k: number): string;
  /** Writes `value` into pair `k` (and whatever the field needs around it). */
  set(p: Pair, value: string, config: HaproxyConfig, k: number): void;
  /** One slot per config (global settings): the haproxy -c run takes a single value. */
  single?: boolean;
  /** A file HAProxy opens: the -c run places a real one there. */
  file?: 'certificate' | 'ca';
  /** Looked up on this host by haproxy -c (a user): checked by the model only. */
  hostDependent?: boolean;
}

const fe = (k: number) => `frontends[${k}]`;
const be = (k: number) => `backends[${k}]`;
const rule = (kind: string) => (p: Pair, v: string) => {
  p.frontend.rules = [{ backend: p.backend.name, conditions: [{ kind: kind as Loose, values: [v] }] }];
};
const tcp = (p: Pair) => {
  p.frontend.mode = 'tcp';
  p.backend.mode = 'tcp';
};

/** Every string the model takes, each with where it is written. */
export const STRING_FIELDS: Record<string, StringField> = {
  'frontend name': {
    path: (k) => `${fe(k)}.name`,
    set: (p, v) => {
      p.frontend.name = v;
    },
  },
  'frontend comment': {
    path: (k) => `${fe(k)}.comment`,
    set: (p, v) => {
      p.frontend.comment = v;
    },
  },
  'frontend mode': {
    path: (k) => `${fe(k)}.mode`,
    set: (p, v) => {
      p.frontend.mode = v as Loose;
    },
  },
  'bind address': {
    path: (k) => `${fe(k)}.binds[0].address`,
    set: (p, v) => {
      (p.frontend.binds[0] as Loose).address = v;
    },
  },
  'certificate path': {
    path: (k) => `${fe(k)}.binds[0].tls.certificates[0]`,
    set: (p, v) => {
      (p.frontend.binds[0] as Loose).tls = { certificates: [v] };
    },
    file: 'certificate',
  },
  'client CA path': {
    path: (k) => `${fe(k)}.binds[0].tls.clientCa`,
    set: (p, v) => {
      (p.frontend.binds[0] as Loose).tls = { certificates: [CERT], clientVerify: 'optional', clientCa: v };
    },
    file: 'ca',
  },
  'bind ALPN': {
    path: (k) => `${fe(k)}.binds[0].tls.alpn[0]`,
    set: (p, v) => {
      (p.frontend.binds[0] as Loose).tls = { certificates: [CERT], alpn: [v] };
    },
  },
  'bind TLS policy': {
    path: (k) => `${fe(k)}.binds[0].tls.policy`,
    set: (p, v) => {
      (p.frontend.binds[0] as Loose).tls = { certificates: [CERT], policy: v };
    },
  },
  'bind client verify': {
    path: (k) => `${fe(k)}.binds[0].tls.clientVerify`,
    set: (p, v) => {
      (p.frontend.binds[0] as Loose).tls = { certificates: [CERT], clientVerify: v, clientCa: CERT };
    },
  },
  'rule name': {
    path: (k) => `${fe(k)}.rules[0].name`,
    set: (p, v) => {
      p.frontend.rules = [{ name: v, backend: p.backend.name, conditions: [{ kind: 'pathPrefix', values: ['/'] }] }];
    },
  },
  'condition kind': {
    path: (k) => `${fe(k)}.rules[0].conditions[0].kind`,
    set: (p, v) => rule(v)(p, '/'),
  },
  'pathPrefix value': { path: (k) => `${fe(k)}.rules[0].conditions[0].values[0]`, set: rule('pathPrefix') },
  'pathSuffix value': { path: (k) => `${fe(k)}.rules[0].conditions[0].values[0]`, set: rule('pathSuffix') },
  'pathExact value': { path: (k) => `${fe(k)}.rules[0].conditions[0].values[0]`, set: rule('pathExact') },
  'pathRegex value': { path: (k) => `${fe(k)}.rules[0].conditions[0].values[0]`, set: rule('pathRegex') },
  'host value': { path: (k) => `${fe(k)}.rules[0].conditions[0].values[0]`, set: rule('host') },
  'method value': { path: (k) => `${fe(k)}.rules[0].conditions[0].values[0]`, set: rule('method') },
  'sni value': { path: (k) => `${fe(k)}.rules[0].conditions[0].values[0]`, set: rule('sni') },
  'source value': { path: (k) => `${fe(k)}.rules[0].conditions[0].values[0]`, set: rule('source') },
  'frontend header name': {
    path: (k) => `${fe(k)}.headers[0].name`,
    set: (p, v) => {
      p.frontend.headers = [{ action: 'set', name: v, value: 'x' }];
    },
  },
  'frontend header value': {
    path: (k) => `${fe(k)}.headers[0].value`,
    set: (p, v) => {
      p.frontend.headers = [{ action: 'add', name: 'X-Fuzz', value: v }];
    },
  },
  'frontend header action': {
    path: (k) => `${fe(k)}.headers[0].action`,
    set: (p, v) => {
      p.frontend.headers = [{ action: v as Loose, name: 'X-Fuzz', value: 'x' }];
    },
  },
  'frontend header side': {
    path: (k) => `${fe(k)}.headers[0].on`,
    set: (p, v) => {
      p.frontend.headers = [{ action: 'delete', name: 'X-Fuzz', on: v as Loose }];
    },
  },
  'frontend forwardfor header': {
    path: (k) => `${fe(k)}.forwardFor.header`,
    set: (p, v) => {
      p.frontend.forwardFor = { header: v, ifNone: true };
    },
  },
  'frontend forwardfor except': {
    path: (k) => `${fe(k)}.forwardFor.except`,
    set: (p, v) => {
      p.frontend.forwardFor = { except: v };
    },
  },
  'backend name': {
    path: (k) => `${be(k)}.name`,
    set: (p, v) => {
      p.backend.name = v;
      p.frontend.defaultBackend = v;
    },
  },
  'backend mode': {
    path: (k) => `${be(k)}.mode`,
    set: (p, v) => {
      p.backend.mode = v as Loose;
    },
  },
  'backend comment': {
    path: (k) => `${be(k)}.comment`,
    set: (p, v) => {
      p.backend.comment = v;
    },
  },
  'backend header name': {
    path: (k) => `${be(k)}.headers[0].name`,
    set: (p, v) => {
      p.backend.headers = [{ action: 'delete', name: v, on: 'response' }];
    },
  },
  'backend header value': {
    path: (k) => `${be(k)}.headers[0].value`,
    set: (p, v) => {
      p.backend.headers = [{ action: 'set', name: 'X-Fuzz', value: v, on: 'response' }];
    },
  },
  'backend forwardfor header': {
    path: (k) => `${be(k)}.forwardFor.header`,
    set: (p, v) => {
      p.backend.forwardFor = { header: v };
    },
  },
  'balance algorithm': {
    path: (k) => `${be(k)}.balance.algorithm`,
    set: (p, v) => {
      p.backend.balance = { algorithm: v as Loose };
    },
  },
  'balance header': {
    path: (k) => `${be(k)}.balance.header`,
    set: (p, v) => {
      p.backend.balance = { algorithm: 'hdr', header: v };
    },
  },
  'balance RDP cookie': {
    path: (k) => `${be(k)}.balance.cookie`,
    set: (p, v) => {
      tcp(p);
      p.backend.balance = { algorithm: 'rdp-cookie', cookie: v };
    },
  },
  'persistence type': {
    path: (k) => `${be(k)}.persistence.type`,
    set: (p, v) => {
      p.backend.persistence = { type: v as Loose };
    },
  },
  'persistence cookie': {
    path: (k) => `${be(k)}.persistence.cookie`,
    set: (p, v) => {
      p.backend.persistence = { type: 'cookie-insert', cookie: v };
    },
  },
  'persistence family': {
    path: (k) => `${be(k)}.persistence.family`,
    set: (p, v) => {
      p.backend.persistence = { type: 'source', family: v as Loose };
    },
  },
  'health check type': {
    path: (k) => `${be(k)}.healthCheck.type`,
    set: (p, v) => {
      p.backend.healthCheck = { type: v as Loose };
    },
  },
  'health check method': {
    path: (k) => `${be(k)}.healthCheck.method`,
    set: (p, v) => {
      p.backend.healthCheck = { type: 'http', method: v };
    },
  },
  'health check path': {
    path: (k) => `${be(k)}.healthCheck.path`,
    set: (p, v) => {
      p.backend.healthCheck = { type: 'http', path: v };
    },
  },
  'health check host': {
    path: (k) => `${be(k)}.healthCheck.host`,
    set: (p, v) => {
      p.backend.healthCheck = { type: 'http', host: v };
    },
  },
  'server name': {
    path: (k) => `${be(k)}.servers[0].name`,
    set: (p, v) => {
      server(p).name = v;
    },
  },
  'server address': {
    path: (k) => `${be(k)}.servers[0].address`,
    set: (p, v) => {
      server(p).address = v;
    },
  },
  'server comment': {
    path: (k) => `${be(k)}.servers[0].comment`,
    set: (p, v) => {
      server(p).comment = v;
    },
  },
  'server cookie': {
    path: (k) => `${be(k)}.servers[0].cookie`,
    set: (p, v) => {
      p.backend.persistence = { type: 'cookie-insert', cookie: 'SRV' };
      server(p).cookie = v;
    },
  },
  'server PROXY protocol': {
    path: (k) => `${be(k)}.servers[0].sendProxy`,
    set: (p, v) => {
      server(p).sendProxy = v as Loose;
    },
  },
  'agent send': {
    path: (k) => `${be(k)}.servers[0].agent.send`,
    set: (p, v) => {
      server(p).agent = { port: 9999, send: v };
    },
  },
  'server TLS verify': {
    path: (k) => `${be(k)}.servers[0].tls.verify`,
    set: (p, v) => {
      server(p).tls = { verify: v as Loose };
    },
  },
  'server CA path': {
    path: (k) => `${be(k)}.servers[0].tls.ca`,
    set: (p, v) => {
      server(p).tls = { verify: 'required', ca: v };
    },
    file: 'ca',
  },
  'server verifyhost': {
    path: (k) => `${be(k)}.servers[0].tls.verifyHost`,
    set: (p, v) => {
      server(p).tls = { verify: 'none', verifyHost: v };
    },
  },
  'server SNI': {
    path: (k) => `${be(k)}.servers[0].tls.sni`,
    set: (p, v) => {
      server(p).tls = { verify: 'none', sni: v };
    },
  },
  'server ALPN': {
    path: (k) => `${be(k)}.servers[0].tls.alpn[0]`,
    set: (p, v) => {
      server(p).tls = { verify: 'none', alpn: [v] };
    },
  },
  'log address': {
    path: (k) => `global.log[${k}].address`,
    set: (_p, v, c, k) => void logs(c, k, { address: v }),
  },
  'log facility': {
    path: (k) => `global.log[${k}].facility`,
    set: (_p, v, c, k) => void logs(c, k, { address: '/dev/log', facility: v }),
  },
  'log level': {
    path: (k) => `global.log[${k}].level`,
    set: (_p, v, c, k) => void logs(c, k, { address: '/dev/log', level: v }),
  },
  'admin socket path': {
    path: () => 'global.adminSocket.path',
    set: (_p, v, c) => {
      global(c).adminSocket = { path: v };
    },
    single: true,
  },
  'admin socket level': {
    path: () => 'global.adminSocket.level',
    set: (_p, v, c) => {
      global(c).adminSocket = { path: '/run/fuzz.sock', level: v as Loose };
    },
    single: true,
  },
  'chroot path': {
    path: () => 'global.chroot',
    set: (_p, v, c) => {
      global(c).chroot = v;
    },
    single: true,
  },
  'server state file': {
    path: () => 'global.serverStateFile',
    set: (_p, v, c) => {
      global(c).serverStateFile = v;
    },
    single: true,
  },
  'global TLS policy': {
    path: () => 'global.tlsPolicy',
    set: (_p, v, c) => {
      global(c).tlsPolicy = v as Loose;
    },
    single: true,
  },
  user: {
    path: () => 'global.user',
    set: (_p, v, c) => {
      global(c).user = v;
    },
    single: true,
    hostDependent: true,
  },
  group: {
    path: () => 'global.group',
    set: (_p, v, c) => {
      global(c).group = v;
    },
    single: true,
    hostDependent: true,
  },
  'defaults mode': {
    path: () => 'defaults.mode',
    set: (_p, v, c) => {
      c.defaults = { mode: v as Loose };
    },
    single: true,
  },
};

/** A certificate path that the -c run replaces with a real file. */
export const CERT = '/fuzz/cert.pem';

function server(p: Pair): Loose {
  return p.backend.servers[0];
}

function global(c: HaproxyConfig): NonNullable<HaproxyConfig['global']> {
  if (c.global === undefined) c.global = {};
  return c.global;
}

function logs(c: HaproxyConfig, k: number, target: Loose): void {
  const g = global(c);
  g.log ??= [];
  const list = g.log;
  while (list.length < k) list.push({ address: '/dev/log' });
  list[k] = target;
}

/**
 * One config line split as HAProxy 2.6 reads it (configuration manual 2.2): words split on
 * unquoted blanks, `'...'` taken literally, `"..."` with backslash escapes (and `$NAME`
 * expanded, reported as `expands`), a backslash escaping the next character outside
 * quotes, and an unquoted `#` starting a comment that runs to the end of the line.
 */
export function haproxyWords(line: string): { words: string[]; comment?: string; expands: boolean } {
  const words: string[] = [];
  let word: string | undefined;
  let expands = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#') {
      if (word !== undefined) words.push(word);
      return { words, comment: line.slice(i + 1), expands };
    } else if (c === '\\') {
      word = (word ?? '') + (line[++i] ?? '');
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unmatched quote: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\') i++;
        else if (line[i] === '$') expands = true;
        word += line[i] ?? '';
      }
      if (i >= line.length) throw new Error(`unmatched quote: ${line}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return { words, expands };
}

/**
 * Whether `text` holds `value` as HAProxy will read it: one whole word (as itself, `%`
 * doubled in a log-format, or inside `hdr()`, `rdp-cookie()`, `str()`), or a whole comment.
 */
export function holdsLiterally(text: string, value: string): boolean {
  const forms = new Set([value, value.replaceAll('%', '%%'), `hdr(${value})`, `rdp-cookie(${value})`, `str(${value})`]);
  return text.split('\n').some((line) => {
    const { words, comment, expands } = haproxyWords(line);
    return !expands && (words.some((w) => forms.has(w)) || comment === ` ${value}`);
  });
}
