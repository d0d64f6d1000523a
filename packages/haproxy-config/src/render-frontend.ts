import { requireMode } from './check-model.js';
import { invalidField } from './errors.js';
import type { Bind, Condition, Frontend, ProxyMode, SwitchRule } from './model.js';
import { comment, timeoutLines } from './render-global.js';
import { forwardForLine, headerLines } from './render-headers.js';
import { address, integer, list, name, network, oneOf, path, port, quote, text } from './strings.js';
import { TLS_POLICIES, tlsOptionWords } from './tls.js';

const ALPN = /^[A-Za-z0-9._/-]{1,32}$/;
const METHOD = /^[A-Z]{1,20}$/;
// A Host header value: a name (or IPv4 address) with an optional port; exact match, no wildcards.
const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}(:[0-9]{1,5})?$/;

export function alpnList(values: unknown, field: string): string {
  const protocols = list<string>(values, field);
  if (protocols.length === 0) throw invalidField(field, 'must not be empty');
  protocols.forEach((p, i) => {
    if (typeof p !== 'string' || !ALPN.test(p))
      throw invalidField(`${field}[${i}]`, `${JSON.stringify(p)} is not an ALPN id`);
  });
  return protocols.join(',');
}

function bindLines(bind: Bind, mode: ProxyMode, field: string): string[] {
  const { address: a, family } = address(bind.address, `${field}.address`);
  const ports = list<number>(bind.ports, `${field}.ports`);
  if (ports.length === 0) throw invalidField(`${field}.ports`, 'needs at least one port');
  const options: string[] = [];
  if (bind.v6only) {
    if (family !== 6) throw invalidField(`${field}.v6only`, 'only applies to an IPv6 address');
    options.push('v6only');
  }
  if (bind.transparent) options.push('transparent');
  if (bind.acceptProxy) options.push('accept-proxy');
  if (bind.tls) {
    const tls = bind.tls;
    const tf = `${field}.tls`;
    const certs = list<string>(tls.certificates, `${tf}.certificates`);
    if (certs.length === 0) throw invalidField(`${tf}.certificates`, 'needs at least one certificate');
    options.push('ssl', ...certs.map((c, i) => `crt ${path(c, `${tf}.certificates[${i}]`)}`));
    if (tls.strictSni) options.push('strict-sni');
    if (tls.policy !== undefined) {
      const policy = TLS_POLICIES[oneOf(tls.policy, ['modern', 'intermediate', 'legacy'], `${tf}.policy`)];
      if (policy.ciphers !== undefined) options.push(`ciphers ${policy.ciphers}`);
      options.push(`ciphersuites ${policy.ciphersuites}`, ...tlsOptionWords(policy));
    }
    const alpn = tls.alpn ?? (mode === 'http' ? ['h2', 'http/1.1'] : undefined);
    if (alpn !== undefined) options.push(`alpn ${alpnList(alpn, `${tf}.alpn`)}`);
    if (tls.clientVerify !== undefined && tls.clientVerify !== 'none') {
      const verify = oneOf(tls.clientVerify, ['optional', 'required'], `${tf}.clientVerify`);
      if (tls.clientCa === undefined) throw invalidField(`${tf}.clientCa`, `clientVerify ${verify} needs a CA file`);
      options.push(`verify ${verify}`, `ca-file ${path(tls.clientCa, `${tf}.clientCa`)}`);
    }
  }
  const host = family === 6 ? `[${a}]` : a;
  const suffix = options.length > 0 ? ` ${options.join(' ')}` : '';
  return ports.map((p, i) => `bind ${host}:${port(p, `${field}.ports[${i}]`)}${suffix}`);
}

function conditionFetch(condition: Condition, mode: ProxyMode, field: string): { fetch: string; ignoreCase: boolean } {
  const kind = oneOf(
    condition.kind,
    ['pathPrefix', 'pathSuffix', 'pathExact', 'pathRegex', 'host', 'method', 'sni', 'source'],
    `${field}.kind`,
  );
  if (kind !== 'sni' && kind !== 'source') requireMode(mode, 'http', `${field}.kind`, `a ${kind} condition`);
  switch (kind) {
    case 'pathPrefix':
      return { fetch: 'path_beg', ignoreCase: false };
    case 'pathSuffix':
      return { fetch: 'path_end', ignoreCase: false };
    case 'pathExact':
      return { fetch: 'path', ignoreCase: false };
    case 'pathRegex':
      return { fetch: 'path_reg', ignoreCase: false };
    case 'host':
      return { fetch: 'hdr(host)', ignoreCase: true };
    case 'method':
      return { fetch: 'method', ignoreCase: false };
    case 'sni':
      // Terminated TLS knows the SNI from the handshake; passed-through TLS must read the ClientHello.
      return { fetch: mode === 'http' ? 'ssl_fc_sni' : 'req.ssl_sni', ignoreCase: true };
    case 'source':
      return { fetch: 'src', ignoreCase: false };
  }
}

function conditionValue(kind: Condition['kind'], value: unknown, field: string): string {
  switch (kind) {
    case 'method':
      if (typeof value !== 'string' || !METHOD.test(value))
        throw invalidField(field, `${JSON.stringify(value)} is not a method`);
      return value;
    case 'host':
    case 'sni':
      if (typeof value !== 'string' || !HOSTNAME.test(value)) {
        throw invalidField(field, `${JSON.stringify(value)} is not a host name`);
      }
      return value;
    case 'source':
      return network(value, field);
    case 'pathRegex':
      return quote(regex(value, field), field);
    default:
      return quote(value, field);
  }
}

// What PCRE2 (HAProxy's regex engine, matching bytes) reads otherwise than JavaScript, or
// refuses: a letter after "\\" other than these, lookbehind (PCRE2 wants a fixed length),
// empty classes ("[]" and "[^]" open a class holding "]" there), group names beyond ASCII.
const REGEX_ESCAPE = /\\[A-Za-z]/g;
const REGEX_LETTER_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B', 'n', 'r', 't', 'f', 'v', 'x']);
const REGEX_DIFFERENT = /\(\?<(?![A-Za-z_][A-Za-z0-9_]{0,31}>)|\[\^?\]/;

/**
 * A regular expression both engines read alike: valid in JavaScript's strict (`u`) mode,
 * where an unknown escape or a lone brace is an error as it is for PCRE2, without the
 * escapes and lookbehinds where the two differ.
 */
function regex(value: unknown, field: string): string {
  const checked = text(value, field);
  try {
    new RegExp(checked, 'u');
  } catch (cause) {
    throw invalidField(field, `${JSON.stringify(checked)} is not a regular expression`, cause);
  }
  if (!/^[ -~]*$/.test(checked)) {
    throw invalidField(field, `${JSON.stringify(checked)} holds non-ASCII, which HAProxy's PCRE2 matches byte by byte`);
  }
  const plain = checked.replaceAll('\\\\', '');
  const odd = (plain.match(REGEX_ESCAPE) ?? []).find((e) => !REGEX_LETTER_ESCAPES.has(e.slice(1)));
  const different = odd ?? REGEX_DIFFERENT.exec(plain)?.[0];
  if (different !== undefined) {
    throw invalidField(
      field,
      `${JSON.stringify(checked)} uses ${JSON.stringify(different)}, which PCRE2 reads otherwise`,
    );
  }
  return checked;
}

function ruleLines(rule: SwitchRule, index: number, mode: ProxyMode, field: string): { acls: string[]; use: string } {
  const ruleName = rule.name === undefined ? `rule${index}` : name(rule.name, `${field}.name`);
  const conditions = list<Condition>(rule.conditions, `${field}.conditions`);
  if (conditions.length === 0) throw invalidField(`${field}.conditions`, 'needs at least one condition');
  const acls: string[] = [];
  const terms: string[] = [];
  conditions.forEach((condition, ci) => {
    const cf = `${field}.conditions[${ci}]`;
    const { fetch, ignoreCase } = conditionFetch(condition, mode, cf);
    const values = list<string>(condition.values, `${cf}.values`);
    if (values.length === 0) throw invalidField(`${cf}.values`, 'needs at least one value');
    const words = values.map((v, vi) => conditionValue(condition.kind, v, `${cf}.values[${vi}]`));
    const flags = (condition.ignoreCase ?? ignoreCase) ? ' -i' : '';
    // A pattern starting with "-" would be read as a flag: "--" ends the flags. HAProxy
    // decides after removing the quotes, so the test is on the value, not the written word.
    const end = values.some((v) => v.startsWith('-')) ? ' --' : '';
    const aclName = conditions.length === 1 ? ruleName : `${ruleName}_${ci}`;
    acls.push(`acl ${aclName} ${fetch}${flags}${end} ${words.join(' ')}`);
    terms.push(condition.negate ? `!${aclName}` : aclName);
  });
  return { acls, use: `use_backend ${name(rule.backend, `${field}.backend`)} if ${terms.join(' ')}` };
}

/** `logging`: whether the global section has a log target (else HAProxy warns about log formats). */
export function renderFrontend(frontend: Frontend, index: number, defaultMode: ProxyMode, logging = true): string[] {
  const f = `frontends[${index}]`;
  const lines: string[] = [];
  if (frontend.comment !== undefined) lines.push(comment(frontend.comment, `${f}.comment`));
  const mode = oneOf(frontend.mode ?? defaultMode, ['http', 'tcp'], `${f}.mode`);
  lines.push(`mode ${mode}`);
  const binds = list<Bind>(frontend.binds, `${f}.binds`);
  if (binds.length === 0) throw invalidField(`${f}.binds`, 'needs at least one bind');
  binds.forEach((bind, i) => {
    lines.push(...bindLines(bind, mode, `${f}.binds[${i}]`));
  });
  if (frontend.maxconn !== undefined) lines.push(`maxconn ${integer(frontend.maxconn, `${f}.maxconn`, 1, 10_000_000)}`);
  lines.push(...timeoutLines(frontend.timeouts, `${f}.timeouts`));
  if (logging) lines.push(mode === 'http' ? 'option httplog' : 'option tcplog');

  const rules = list<SwitchRule>(frontend.rules ?? [], `${f}.rules`);
  const needsHello = mode === 'tcp' && rules.some((r) => (r.conditions ?? []).some((c) => c.kind === 'sni'));
  if (needsHello) {
    // Wait for the ClientHello so req.ssl_sni has something to read.
    lines.push('tcp-request inspect-delay 5s', 'tcp-request content accept if { req.ssl_hello_type 1 }');
  }

  const httpOnly = (what: string, key: string) => requireMode(mode, 'http', `${f}.${key}`, what);
  if (frontend.forwardFor !== undefined && frontend.forwardFor !== false) httpOnly('forwardFor', 'forwardFor');
  lines.push(...forwardForLine(frontend.forwardFor, `${f}.forwardFor`));
  if (frontend.redirectToHttps) {
    httpOnly('redirectToHttps', 'redirectToHttps');
    const code =
      frontend.redirectToHttps === true
        ? 301
        : integer(frontend.redirectToHttps.code, `${f}.redirectToHttps.code`, 301, 308);
    if (![301, 302, 303, 307, 308].includes(code))
      throw invalidField(`${f}.redirectToHttps.code`, `${code} is no redirect`);
    lines.push(`http-request redirect scheme https code ${code} unless { ssl_fc }`);
  }
  if (frontend.forwardedProto) {
    httpOnly('forwardedProto', 'forwardedProto');
    lines.push(
      'http-request set-header X-Forwarded-Proto https if { ssl_fc }',
      'http-request set-header X-Forwarded-Proto http unless { ssl_fc }',
    );
  }
  if (frontend.headers !== undefined && frontend.headers.length > 0) httpOnly('headers', 'headers');
  const headers = headerLines(frontend.headers, `${f}.headers`);
  lines.push(...headers.filter((l) => l.startsWith('http-request')));
  if (frontend.hsts) {
    httpOnly('hsts', 'hsts');
    const hsts = frontend.hsts === true ? {} : frontend.hsts;
    const maxAge = integer(hsts.maxAge ?? 31_536_000, `${f}.hsts.maxAge`, 0, 2 ** 31 - 1);
    const value = [`max-age=${maxAge}`];
    if (hsts.includeSubdomains) value.push('includeSubDomains');
    if (hsts.preload) value.push('preload');
    lines.push(`http-response set-header Strict-Transport-Security '${value.join('; ')}' if { ssl_fc }`);
  }
  lines.push(...headers.filter((l) => l.startsWith('http-response')));

  const uses: string[] = [];
  rules.forEach((rule, ri) => {
    const { acls, use } = ruleLines(rule, ri, mode, `${f}.rules[${ri}]`);
    lines.push(...acls);
    uses.push(use);
  });
  lines.push(...uses);
  if (frontend.defaultBackend !== undefined) {
    lines.push(`default_backend ${name(frontend.defaultBackend, `${f}.defaultBackend`)}`);
  }
  return lines;
}
