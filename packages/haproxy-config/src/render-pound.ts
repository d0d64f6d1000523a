import { invalidField } from './errors.js';
import type { PoundBackend, PoundConfig, PoundListener, PoundService } from './pound-model.js';
import { address, headerName, integer, list, name, oneOf, path, port, text } from './strings.js';
import { TLS_POLICIES } from './tls.js';

// Pound's parser reads a string as everything between the first and last double quote
// with no escapes, so a quote or backslash-quote can only be refused.
function poundString(value: unknown, field: string): string {
  const checked = text(value, field);
  if (checked.includes('"')) throw invalidField(field, `${JSON.stringify(checked)} holds a double quote`);
  return `"${checked}"`;
}

// The one definition of a file path (strings.ts), as for HAProxy: no quote, space or `#`.
function poundPath(value: unknown, field: string): string {
  return poundString(path(value, field), field);
}

function regex(value: unknown, field: string): string {
  try {
    new RegExp(text(value, field));
  } catch (cause) {
    throw invalidField(field, `${JSON.stringify(value)} is not a regular expression`, cause);
  }
  return poundString(value, field);
}

function headerLine(value: unknown, field: string): string {
  const checked = text(value, field);
  const colon = checked.indexOf(':');
  if (colon <= 0) throw invalidField(field, `${JSON.stringify(checked)} is not "Name: value"`);
  headerName(checked.slice(0, colon), field);
  return poundString(checked, field);
}

const block = (title: string, body: string[]) => [title, ...body.map((l) => `\t${l}`), 'End'];

function endpoint(a: { address: string; port: number }, field: string): string[] {
  return [`Address ${address(a.address, `${field}.address`).address}`, `Port ${port(a.port, `${field}.port`)}`];
}

function backendBlock(backend: PoundBackend, field: string): string[] {
  const body = endpoint(backend, field);
  if (backend.priority !== undefined) body.push(`Priority ${integer(backend.priority, `${field}.priority`, 1, 9)}`);
  if (backend.timeoutSeconds !== undefined) {
    body.push(`TimeOut ${integer(backend.timeoutSeconds, `${field}.timeoutSeconds`, 1, 86_400)}`);
  }
  if (backend.https) body.push('HTTPS');
  return block('BackEnd', body);
}

function serviceBlock(service: PoundService, field: string): string[] {
  const body: string[] = [];
  if (service.url !== undefined) body.push(`URL ${regex(service.url, `${field}.url`)}`);
  if (service.headRequire !== undefined) body.push(`HeadRequire ${regex(service.headRequire, `${field}.headRequire`)}`);
  const backends = list<PoundBackend>(service.backends, `${field}.backends`);
  if (backends.length === 0) throw invalidField(`${field}.backends`, 'needs at least one backend');
  backends.forEach((b, i) => {
    body.push(...backendBlock(b, `${field}.backends[${i}]`));
  });
  if (service.emergency) body.push(...block('Emergency', endpoint(service.emergency, `${field}.emergency`)));
  if (service.session) {
    const sf = `${field}.session`;
    const type = oneOf(service.session.type, ['IP', 'COOKIE', 'URL', 'PARM', 'BASIC', 'HEADER'], `${sf}.type`);
    const session = [`Type ${type}`];
    const needsId = type === 'COOKIE' || type === 'URL' || type === 'HEADER';
    if (needsId) {
      if (service.session.id === undefined) throw invalidField(`${sf}.id`, `session type ${type} needs an id`);
      const id = type === 'HEADER' ? headerName(service.session.id, `${sf}.id`) : name(service.session.id, `${sf}.id`);
      session.push(`ID "${id}"`);
    } else if (service.session.id !== undefined) {
      throw invalidField(`${sf}.id`, `session type ${type} takes no id`);
    }
    session.push(`TTL ${integer(service.session.ttlSeconds ?? 300, `${sf}.ttlSeconds`, 1, 31_536_000)}`);
    body.push(...block('Session', session));
  }
  const title = service.name === undefined ? 'Service' : `Service "${name(service.name, `${field}.name`)}"`;
  return block(title, body);
}

function services(items: PoundService[] | undefined, field: string): string[] {
  return list<PoundService>(items ?? [], field).flatMap((s, i) => {
    const at = `${field}[${i}]`;
    const body = serviceBlock(s, at);
    return [`# service ${s.name ?? i} (${at})`, ...body];
  });
}

function listenerBlock(listener: PoundListener, field: string): string[] {
  const protocol = oneOf(listener.protocol, ['http', 'https'], `${field}.protocol`);
  const body = endpoint(listener, field);
  if (protocol === 'https') {
    const certs = list<string>(listener.certificates ?? [], `${field}.certificates`);
    if (certs.length === 0) throw invalidField(`${field}.certificates`, 'an https listener needs a certificate');
    certs.forEach((c, i) => {
      body.push(`Cert ${poundPath(c, `${field}.certificates[${i}]`)}`);
    });
    const policy = oneOf(listener.policy ?? 'intermediate', ['modern', 'intermediate', 'legacy'], `${field}.policy`);
    // Pound takes an OpenSSL cipher list only (no TLS 1.3 suites): the modern policy falls
    // back to the intermediate TLS 1.2 list, and each policy disables what it refuses.
    body.push(`Ciphers "${TLS_POLICIES[policy].ciphers ?? TLS_POLICIES.intermediate.ciphers}"`);
    body.push(policy === 'legacy' ? 'Disable SSLv3' : policy === 'modern' ? 'Disable TLSv1_2' : 'Disable TLSv1_1');
  } else if (listener.certificates !== undefined || listener.policy !== undefined) {
    throw invalidField(`${field}.certificates`, 'certificates and policy need protocol https');
  }
  body.push(`xHTTP ${integer(listener.xHTTP ?? 0, `${field}.xHTTP`, 0, 4)}`);
  body.push(`RewriteLocation ${integer(listener.rewriteLocation ?? 1, `${field}.rewriteLocation`, 0, 2)}`);
  if (listener.forwardedProto ?? protocol === 'https') {
    body.push(`AddHeader "X-Forwarded-Proto: ${protocol}"`);
  }
  list<string>(listener.addHeaders ?? [], `${field}.addHeaders`).forEach((h, i) => {
    body.push(`AddHeader ${headerLine(h, `${field}.addHeaders[${i}]`)}`);
  });
  body.push(...services(listener.services, `${field}.services`));
  return block(protocol === 'https' ? 'ListenHTTPS' : 'ListenHTTP', body);
}

/** Renders a Pound configuration; every field is validated (HaproxyConfigError naming the field). */
export function renderPound(config: PoundConfig): string {
  if (config === null || typeof config !== 'object') throw invalidField('config', 'must be an object');
  const lines = ['# Generated by @sluice/haproxy-config from a typed model: change the model, not this file.', ''];
  if (config.user !== undefined) lines.push(`User "${name(config.user, 'user')}"`);
  if (config.group !== undefined) lines.push(`Group "${name(config.group, 'group')}"`);
  lines.push(`LogLevel ${integer(config.logLevel ?? 1, 'logLevel', 0, 5)}`);
  lines.push(`Alive ${integer(config.aliveSeconds ?? 30, 'aliveSeconds', 1, 86_400)}`);
  lines.push(`TimeOut ${integer(config.timeoutSeconds ?? 15, 'timeoutSeconds', 1, 86_400)}`);
  lines.push(`Daemon ${config.daemon ? 1 : 0}`);
  if (config.control !== undefined) lines.push(`Control ${poundPath(config.control, 'control')}`);
  const listeners = list<PoundListener>(config.listeners, 'listeners');
  if (listeners.length === 0) throw invalidField('listeners', 'needs at least one listener');
  listeners.forEach((l, i) => {
    const body = listenerBlock(l, `listeners[${i}]`);
    const host = l.address.includes(':') ? `[${l.address}]` : l.address;
    lines.push('', `# listener ${l.protocol} ${host}:${l.port} (listeners[${i}])`, ...body);
  });
  const shared = services(config.services, 'services');
  if (shared.length > 0) lines.push('', ...shared);
  return `${lines.join('\n')}\n`;
}
