/** HAProxy's value formats: addresses with ports (bind, server) and times (2.5 "Time format"). */
import { isIP } from 'node:net';
import type { PortSpec } from '../../model/schema.js';

export interface BindAddress {
  /** The address; `0.0.0.0` / `::` for a wildcard. */
  address: string;
  ports: PortSpec[];
  /** Written as a wildcard (`*:80`, `:80`, `:::80`). */
  wildcard: boolean;
}

const DIGITS = /^[0-9]{1,5}$/;

function port(text: string): number | undefined {
  if (!DIGITS.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

function portSpec(text: string): PortSpec | undefined {
  const dash = text.indexOf('-');
  if (dash < 0) return port(text);
  const from = port(text.slice(0, dash));
  const to = port(text.slice(dash + 1));
  if (from === undefined || to === undefined || from > to) return undefined;
  return from === to ? from : { from, to };
}

/** `[addr]:rest` or `addr:rest` split at the last colon, as HAProxy splits IPv6 addresses. */
function splitHostPort(text: string): [string, string | undefined] {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return [text, undefined];
    const rest = text.slice(close + 1);
    return [text.slice(1, close), rest.startsWith(':') ? rest.slice(1) : rest === '' ? undefined : rest];
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return [text, undefined];
  return [text.slice(0, colon), text.slice(colon + 1)];
}

/**
 * One `bind` address list (`192.0.2.10:80,192.0.2.10:8000-8010`, `:443`, `:::80`): each
 * element, or a reason it cannot be imported (a UNIX socket, a host name, no port).
 */
export function bindAddresses(text: string): BindAddress[] | string {
  const out: BindAddress[] = [];
  for (let element of text.split(',')) {
    const at = element.indexOf('@');
    if (at >= 0) {
      const family = element.slice(0, at);
      if (family !== 'ipv4' && family !== 'ipv6') return `the "${family}@" address family is not an IP listener`;
      element = element.slice(at + 1);
    }
    if (element.startsWith('/')) return 'a UNIX socket is not an IP listener';
    const [host, portText] = splitHostPort(element);
    if (portText === undefined || portText === '') return `${element}: a listener needs a port`;
    const spec = portSpec(portText);
    if (spec === undefined) return `${element}: "${portText}" is not a port or a port range`;
    const wildcard = host === '' || host === '*' || host === '0.0.0.0' || host === '::';
    const address = host === '' || host === '*' ? '0.0.0.0' : host === ':' ? '::' : host;
    if (!isIP(address)) return `${element}: "${host}" is not an IP address (an import resolves no names)`;
    const same = out.find((b) => b.address === address);
    if (same) same.ports.push(spec);
    else out.push({ address, ports: [spec], wildcard: wildcard || address === '::' });
  }
  return out;
}

export interface ServerAddress {
  address: string;
  port?: number;
}

/** A server's `addr[:port]`, or a reason it cannot be imported. */
export function serverAddress(text: string): ServerAddress | string {
  let value = text;
  const at = value.indexOf('@');
  if (at >= 0) {
    const family = value.slice(0, at);
    if (family !== 'ipv4' && family !== 'ipv6') return `the "${family}@" address family is not an IP server`;
    value = value.slice(at + 1);
  }
  const [host, portText] = splitHostPort(value);
  if (portText !== undefined && isIP(host)) {
    if (portText === '') return { address: host };
    if (portText.startsWith('+') || portText.startsWith('-'))
      return `${text}: a port relative to the client's is not in the model`;
    const p = port(portText);
    if (p === undefined) return `${text}: "${portText}" is not a port`;
    return { address: host, port: p };
  }
  // An IPv6 address without a port: the last colon was part of it.
  if (isIP(value)) return { address: value };
  return `${text}: not an IP address (an import resolves no names)`;
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A time in milliseconds (`2000`, `2s`, `30m`), numbers without a unit in `defaultUnit`; undefined if malformed. */
export function timeMs(text: string, defaultUnit: 'ms' | 's' = 'ms'): number | undefined {
  let i = 0;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  if (i === 0 || i > 12) return undefined;
  const unit = text.slice(i) || defaultUnit;
  const factor = UNITS[unit];
  return factor === undefined ? undefined : Number(text.slice(0, i)) * factor;
}
