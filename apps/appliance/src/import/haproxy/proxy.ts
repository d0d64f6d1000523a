/**
 * One proxy section (defaults, frontend, backend, listen) -> what it says that the
 * appliance can hold, with a note for each directive it cannot. A proxy starts from its
 * defaults section's settings, as HAProxy's do; the defaults' own notes are made once, when
 * the defaults section itself is read.
 */
import type { ImportNote } from '../contract.js';
import { importInvalid } from '../source-text.js';
import type { ProxyKind, Section } from './sections.js';
import type { CfgLine } from './tokenize.js';
import { type BindAddress, bindAddresses, type ServerAddress, serverAddress, timeMs } from './values.js';

export interface Bind extends BindAddress {
  line: number;
  /** `ssl crt FILE...`: the certificate files, in order. */
  ssl?: string[];
}

export interface ServerOptions {
  weight?: number;
  check?: boolean;
  backup?: boolean;
  checkPort?: number;
  interMs?: number;
  fall?: number;
  rise?: number;
  maxconn?: number;
  checkSsl?: boolean;
}

export interface ServerLine extends ServerAddress, ServerOptions {
  name: string;
  line: number;
}

export interface AclTerm {
  match: 'path-prefix' | 'path-suffix' | 'host';
  values: string[];
  line: number;
}

export interface AclDefinition {
  line: number;
  /** Undefined: a criterion the model has no rule for; `reason` says which. */
  term?: AclTerm;
  reason?: string;
}

export interface UseBackend {
  backend: string;
  /** The words after `if` / `unless`; undefined: no condition. */
  condition?: string[];
  unless: boolean;
  line: number;
}

export interface Setting<T> {
  value: T;
  line: number;
}

export interface ProxySection {
  kind: ProxyKind;
  name: string;
  line: number;
  mode?: Setting<'http' | 'tcp'>;
  balance?: Setting<string>;
  forwardFor?: Setting<boolean>;
  cookie?: Setting<{ name: string; type: 'insert' | 'prefix'; maxIdleSeconds?: number }>;
  stickTable?: Setting<{ expireSeconds?: number }>;
  stickOnSrc?: Setting<true>;
  rdpCookie?: Setting<true>;
  httpCheck?: Setting<{ path?: string }>;
  expectStatus?: Setting<number>;
  checkTimeoutMs?: Setting<number>;
  defaultServer: ServerOptions;
  binds: Bind[];
  servers: ServerLine[];
  acls: Map<string, AclDefinition[]>;
  useBackends: UseBackend[];
  defaultBackend?: Setting<string>;
  /** Lines whose directive was mapped (to count them). */
  mapped: number;
}

const COUNT = /^[0-9]{1,9}$/;

export class ProxyReader {
  constructor(
    private readonly file: string,
    private readonly notes: ImportNote[],
    private readonly crtBase: string | undefined,
  ) {}

  private note(line: number, directive: string, kind: ImportNote['kind'], message: string) {
    this.notes.push({ file: this.file, line, directive, kind, message });
  }

  private invalid(line: number, message: string) {
    return importInvalid(this.file, line, message);
  }

  private count(text: string | undefined, line: number, what: string, min: number, max: number): number {
    if (text === undefined || !COUNT.test(text) || Number(text) < min || Number(text) > max) {
      throw this.invalid(line, `${what} needs a whole number from ${min} to ${max}, not ${JSON.stringify(text ?? '')}`);
    }
    return Number(text);
  }

  private time(text: string | undefined, line: number, what: string, unit: 'ms' | 's' = 'ms'): number {
    const ms = text === undefined ? undefined : timeMs(text, unit);
    if (ms === undefined)
      throw this.invalid(line, `${what} needs a time (2000, 2s, 5m), not ${JSON.stringify(text ?? '')}`);
    return ms;
  }

  /** A new proxy with its defaults section's settings (without their lines' notes). */
  read(section: Section, parent: ProxySection | undefined): ProxySection {
    const proxy: ProxySection = {
      kind: section.kind as ProxyKind,
      name: section.name,
      line: section.line,
      ...(parent?.mode ? { mode: parent.mode } : {}),
      ...(parent?.balance ? { balance: parent.balance } : {}),
      ...(parent?.forwardFor ? { forwardFor: parent.forwardFor } : {}),
      ...(parent?.cookie ? { cookie: parent.cookie } : {}),
      ...(parent?.httpCheck ? { httpCheck: parent.httpCheck } : {}),
      ...(parent?.expectStatus ? { expectStatus: parent.expectStatus } : {}),
      ...(parent?.checkTimeoutMs ? { checkTimeoutMs: parent.checkTimeoutMs } : {}),
      ...(parent?.rdpCookie ? { rdpCookie: parent.rdpCookie } : {}),
      defaultServer: { ...parent?.defaultServer },
      binds: [],
      servers: [],
      acls: new Map(),
      useBackends: [],
      ...(parent?.defaultBackend ? { defaultBackend: parent.defaultBackend } : {}),
      mapped: 0,
    };
    for (const cfg of section.lines) this.directive(proxy, cfg);
    return proxy;
  }

  private directive(proxy: ProxySection, cfg: CfgLine) {
    const { line, words } = cfg;
    let [keyword = '', ...args] = words;
    let negated = false;
    if (keyword === 'no' || keyword === 'default') {
      negated = keyword === 'no';
      [keyword = '', ...args] = args;
    }
    const directive =
      keyword === 'option' || keyword === 'http-request' || keyword === 'timeout' || keyword === 'stick'
        ? `${keyword} ${args[0] ?? ''}`
        : keyword;
    const shown = negated ? `no ${directive}` : directive;
    if (cfg.env) {
      this.note(line, shown, 'unsupported', 'uses an environment variable, which an import cannot expand; left out');
      return;
    }
    const allowed = (...kinds: ProxyKind[]) => {
      if (!kinds.includes(proxy.kind))
        throw this.invalid(line, `"${directive}" is not allowed in a ${proxy.kind} section`);
    };
    const mapped = () => {
      proxy.mapped++;
    };
    switch (directive) {
      case 'mode': {
        const mode = args[0];
        if (mode !== 'http' && mode !== 'tcp') {
          this.note(
            line,
            shown,
            'unsupported',
            `mode ${mode ?? ''} has no counterpart; the proxy keeps HAProxy's default, tcp`,
          );
          return;
        }
        proxy.mode = { value: mode, line };
        return mapped();
      }
      case 'balance': {
        allowed('defaults', 'backend', 'listen');
        const algorithm = args[0] ?? '';
        proxy.balance = { value: algorithm, line };
        if (algorithm !== 'roundrobin') {
          this.note(
            line,
            shown,
            'lossy',
            algorithm === 'source'
              ? 'the appliance balances by weighted round robin; hashing the source is kept as source-IP persistence where nothing else persists'
              : `the appliance balances by weighted round robin; "${algorithm}" is not kept`,
          );
        }
        return mapped();
      }
      case 'option forwardfor': {
        if (args.length > 1) {
          this.note(
            line,
            shown,
            'lossy',
            `the appliance adds a plain X-Forwarded-For; "${args.slice(1).join(' ')}" is not kept`,
          );
        }
        proxy.forwardFor = { value: !negated, line };
        return mapped();
      }
      case 'option httpchk': {
        allowed('defaults', 'backend', 'listen');
        // `option httpchk [<uri>]` or `option httpchk <method> <uri> [<version>]`.
        const rest = args.slice(1);
        const uri = rest.length === 1 ? rest[0] : rest[1];
        if (rest.length > 2 || (rest.length === 2 && rest[0] !== 'GET')) {
          this.note(
            line,
            shown,
            'lossy',
            "the appliance's HTTP check is a GET of a path; the method, version and headers are not kept",
          );
        }
        proxy.httpCheck = { value: uri === undefined ? {} : { path: uri }, line };
        return mapped();
      }
      case 'http-check': {
        allowed('defaults', 'backend', 'listen');
        if (
          args[0] === 'expect' &&
          args[1] === 'status' &&
          args.length === 3 &&
          /^[1-5][0-9]{2}$/.test(args[2] ?? '')
        ) {
          proxy.expectStatus = { value: Number(args[2]), line };
          return mapped();
        }
        this.note(
          line,
          `http-check ${args[0] ?? ''}`,
          'unsupported',
          'only "http-check expect status <code>" has a counterpart; left out',
        );
        return;
      }
      case 'timeout check': {
        proxy.checkTimeoutMs = { value: this.time(args[1], line, 'timeout check'), line };
        return mapped();
      }
      case 'default-server': {
        allowed('defaults', 'backend', 'listen');
        this.serverOptions(proxy.defaultServer, args, line, 'default-server');
        return mapped();
      }
      case 'cookie': {
        allowed('defaults', 'backend', 'listen');
        this.cookie(proxy, args, line);
        return;
      }
      case 'stick-table': {
        allowed('backend', 'listen', 'frontend');
        const type = args[args.indexOf('type') + 1];
        if (args.indexOf('type') < 0 || (type !== 'ip' && type !== 'ipv6')) {
          this.note(
            line,
            shown,
            'unsupported',
            'only a table of client addresses (type ip or ipv6) has a counterpart; left out',
          );
          return;
        }
        const expireAt = args.indexOf('expire');
        const expireMs = expireAt < 0 ? undefined : this.time(args[expireAt + 1], line, 'expire');
        proxy.stickTable = {
          value: expireMs === undefined ? {} : { expireSeconds: Math.max(1, Math.ceil(expireMs / 1000)) },
          line,
        };
        const extra = args.filter(
          (a, i) =>
            !['type', 'ip', 'ipv6', 'size', 'expire'].includes(a) && !['size', 'expire'].includes(args[i - 1] ?? ''),
        );
        if (extra.length > 0) this.note(line, shown, 'lossy', `"${extra.join(' ')}" is not kept`);
        if (expireMs !== undefined && expireMs % 1000 !== 0)
          this.note(line, shown, 'lossy', 'the expiry is rounded up to whole seconds');
        return mapped();
      }
      case 'stick on': {
        allowed('backend', 'listen', 'frontend');
        if (args[1] === 'src' && args.length === 2) {
          proxy.stickOnSrc = { value: true, line };
          return mapped();
        }
        this.note(
          line,
          shown,
          'unsupported',
          'only "stick on src" (source-IP persistence) has a counterpart; left out',
        );
        return;
      }
      case 'persist': {
        if (args[0] === 'rdp-cookie' && args.length === 1) {
          proxy.rdpCookie = { value: true, line };
          return mapped();
        }
        this.note(line, shown, 'unsupported', 'only "persist rdp-cookie" has a counterpart; left out');
        return;
      }
      case 'bind': {
        allowed('frontend', 'listen');
        this.bind(proxy, args, line);
        return;
      }
      case 'server': {
        allowed('backend', 'listen');
        this.server(proxy, args, line);
        return;
      }
      case 'acl': {
        allowed('frontend', 'backend', 'listen');
        this.acl(proxy, args, line);
        return;
      }
      case 'use_backend': {
        allowed('frontend', 'listen');
        const [backend = '', how, ...condition] = args;
        if (!backend) throw this.invalid(line, 'use_backend needs a backend');
        if (how !== undefined && how !== 'if' && how !== 'unless') {
          throw this.invalid(line, `use_backend: expected "if" or "unless", not "${how}"`);
        }
        proxy.useBackends.push({
          backend,
          ...(how === undefined ? {} : { condition }),
          unless: how === 'unless',
          line,
        });
        return;
      }
      case 'default_backend': {
        allowed('defaults', 'frontend', 'listen');
        if (!args[0]) throw this.invalid(line, 'default_backend needs a backend');
        proxy.defaultBackend = { value: args[0], line };
        return mapped();
      }
      case 'http-request set-header': {
        if ((args[1] ?? '').toLowerCase() === 'x-forwarded-proto') {
          this.note(
            line,
            shown,
            'lossy',
            'the appliance sets X-Forwarded-Proto itself (http or https) on every HTTP listener',
          );
          return mapped();
        }
        this.note(
          line,
          shown,
          'unsupported',
          'the appliance sets no request headers but X-Forwarded-For and X-Forwarded-Proto; left out',
        );
        return;
      }
      default:
        this.note(line, shown, 'unsupported', 'has no counterpart in the appliance; left out');
    }
  }

  private cookie(proxy: ProxySection, args: string[], line: number) {
    const [name = '', ...options] = args;
    const type = options.includes('insert') ? 'insert' : options.includes('prefix') ? 'prefix' : undefined;
    if (!name || type === undefined) {
      this.note(line, 'cookie', 'unsupported', 'only "insert" and "prefix" cookies have a counterpart; left out');
      return;
    }
    const idleAt = options.indexOf('maxidle');
    const maxIdleMs = idleAt < 0 ? undefined : this.time(options[idleAt + 1], line, 'maxidle', 's');
    const kept = new Set(['insert', 'prefix', 'indirect', 'nocache', 'httponly', 'maxidle']);
    const dropped = options.filter((o, i) => !kept.has(o) && options[i - 1] !== 'maxidle');
    if (dropped.length > 0)
      this.note(line, 'cookie', 'lossy', `"${dropped.join(' ')}" is not kept (the appliance's cookie is HttpOnly)`);
    proxy.cookie = {
      value: {
        name,
        type,
        ...(maxIdleMs === undefined ? {} : { maxIdleSeconds: Math.max(1, Math.ceil(maxIdleMs / 1000)) }),
      },
      line,
    };
    proxy.mapped++;
  }

  private bind(proxy: ProxySection, args: string[], line: number) {
    const [where = '', ...options] = args;
    const addresses = bindAddresses(where);
    if (typeof addresses === 'string') {
      this.note(line, 'bind', 'unsupported', `${addresses}; left out`);
      return;
    }
    let ssl = false;
    const crts: string[] = [];
    const dropped: string[] = [];
    for (let i = 0; i < options.length; i++) {
      const option = options[i] as string;
      if (option === 'ssl') ssl = true;
      else if (option === 'crt') {
        const file = options[++i];
        if (file === undefined) throw this.invalid(line, 'crt needs a file');
        // Relative to the global crt-base, as HAProxy reads it.
        crts.push(file.startsWith('/') || this.crtBase === undefined ? file : `${this.crtBase}/${file}`);
      } else dropped.push(option);
    }
    if (ssl && crts.length === 0) throw this.invalid(line, 'an ssl bind needs a certificate (crt)');
    if (dropped.length > 0) this.note(line, 'bind', 'lossy', `the bind options "${dropped.join(' ')}" are not kept`);
    for (const address of addresses) proxy.binds.push({ ...address, line, ...(ssl ? { ssl: crts } : {}) });
    proxy.mapped++;
  }

  private serverOptions(into: ServerOptions, options: string[], line: number, what: string): string[] {
    const dropped: string[] = [];
    for (let i = 0; i < options.length; i++) {
      const option = options[i] as string;
      const value = () => options[++i];
      switch (option) {
        case 'weight':
          into.weight = this.count(value(), line, `${what} weight`, 0, 256);
          break;
        case 'check':
          into.check = true;
          break;
        case 'no-check':
          into.check = false;
          break;
        case 'check-ssl':
          into.checkSsl = true;
          break;
        case 'backup':
          into.backup = true;
          break;
        case 'port':
          into.checkPort = this.count(value(), line, `${what} port`, 1, 65535);
          break;
        case 'inter':
          into.interMs = this.time(value(), line, `${what} inter`);
          break;
        case 'fall':
          into.fall = this.count(value(), line, `${what} fall`, 1, 100);
          break;
        case 'rise':
          into.rise = this.count(value(), line, `${what} rise`, 1, 100);
          break;
        case 'maxconn':
          into.maxconn = this.count(value(), line, `${what} maxconn`, 0, 4294967295);
          break;
        default:
          // An option that takes a value takes the next word with it.
          dropped.push(WITH_VALUE.has(option) && i + 1 < options.length ? `${option} ${options[++i]}` : option);
      }
    }
    if (dropped.length > 0) this.note(line, what, 'lossy', `the options "${dropped.join(' ')}" are not kept`);
    return dropped;
  }

  private server(proxy: ProxySection, args: string[], line: number) {
    const [name = '', where = '', ...options] = args;
    if (!name || !where) throw this.invalid(line, 'server needs a name and an address');
    const address = serverAddress(where);
    if (typeof address === 'string') {
      this.note(line, 'server', 'unsupported', `${address}; the server is left out`);
      return;
    }
    const own: ServerOptions = {};
    this.serverOptions(own, options, line, 'server');
    proxy.servers.push({ name, line, ...address, ...proxy.defaultServer, ...own });
    proxy.mapped++;
  }

  private acl(proxy: ProxySection, args: string[], line: number) {
    const [name = '', criterion = '', ...rest] = args;
    if (!name || !criterion) throw this.invalid(line, 'acl needs a name and a criterion');
    const list = proxy.acls.get(name) ?? [];
    proxy.acls.set(name, list);
    list.push(aclDefinition(criterion, rest, line));
  }
}

/** One ACL test (`path_beg -i /api /static`), or why the URL rules cannot hold it. */
export function aclDefinition(criterion: string, rest: readonly string[], line: number): AclDefinition {
  const values: string[] = [];
  let method: string | undefined;
  let flags = false;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    if (word === '--') {
      values.push(...rest.slice(i + 1));
      break;
    }
    if (word === '-m') method = rest[++i];
    else if (word === '-i') continue;
    else if (word.startsWith('-')) flags = true;
    else values.push(word);
  }
  const match = criterionOf(criterion.toLowerCase(), method);
  if (match === undefined || flags || values.length === 0) {
    return {
      line,
      reason: flags
        ? 'an ACL read from a file or with flags'
        : `the criterion "${criterion}${method ? ` -m ${method}` : ''}"`,
    };
  }
  return { line, term: { match, values, line } };
}

/** The ACL criteria the model's URL rules can hold. */
function criterionOf(criterion: string, method: string | undefined): AclTerm['match'] | undefined {
  if (criterion === 'path_beg' && (method === undefined || method === 'beg')) return 'path-prefix';
  if (criterion === 'path_end' && (method === undefined || method === 'end')) return 'path-suffix';
  if (criterion === 'path' && method === 'beg') return 'path-prefix';
  if (criterion === 'path' && method === 'end') return 'path-suffix';
  if (criterion === 'hdr(host)' && (method === undefined || method === 'str')) return 'host';
  return undefined;
}

/** Server options that take a value. */
const WITH_VALUE = new Set([
  'cookie',
  'verify',
  'sni',
  'ca-file',
  'crt',
  'slowstart',
  'observe',
  'error-limit',
  'on-error',
  'on-marked-down',
  'on-marked-up',
  'id',
  'addr',
  'downinter',
  'fastinter',
  'resolvers',
  'init-addr',
  'agent-port',
  'agent-inter',
  'alpn',
  'check-sni',
  'check-alpn',
  'proto',
  'pool-max-conn',
  'pool-purge-delay',
  'maxqueue',
  'minconn',
  'track',
  'source',
  'namespace',
  'ws',
  'redir',
  'max-reuse',
  'tcp-ut',
  'ciphers',
  'ssl-min-ver',
  'ssl-max-ver',
]);
