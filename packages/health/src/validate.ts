import { isIP } from 'node:net';
import {
  CHECK_TYPES,
  type CheckDefinition,
  type DnsRecordType,
  type NormalizedTarget,
  type ScheduleEntry,
  type SendExpectStep,
  type TargetState,
} from './checks.js';
import { HealthError, type HealthErrorCode } from './errors.js';
import { checkPort } from './ports.js';

type Obj = Record<string, unknown>;

const DNS_TYPES: readonly DnsRecordType[] = ['A', 'AAAA', 'CNAME', 'NS', 'MX', 'TXT', 'SOA'];
const METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'] as const;
const STATES: readonly TargetState[] = ['unknown', 'up', 'down'];
// Header names per RFC 9110 token; values without CR/LF so nothing can inject a header.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NO_CONTROL = (text: string) => controlFree(text, '\t');
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?)*\.?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ID = (text: string) => controlFree(text);
const ANY = () => true;

type Test = RegExp | ((text: string) => boolean);

/** True when `text` has no ASCII control character other than those in `allowed`. */
function controlFree(text: string, allowed = ''): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 || c === 0x7f) && !allowed.includes(text[i] as string)) return false;
  }
  return true;
}

class Checker {
  constructor(private readonly code: HealthErrorCode) {}

  bad(field: string, message: string): never {
    throw new HealthError(this.code, `${field} ${message}`, { field });
  }

  object(value: unknown, field: string): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.bad(field, 'must be an object');
    return value as Obj;
  }

  only(obj: Obj, field: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.bad(`${field}.${key}`, 'is not a known field');
    }
  }

  int(obj: Obj, key: string, field: string, min: number, max: number): number | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.bad(`${field}.${key}`, `must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  bool(obj: Obj, key: string, field: string): boolean | undefined {
    const value = obj[key];
    if (value !== undefined && typeof value !== 'boolean') this.bad(`${field}.${key}`, 'must be true or false');
    return value as boolean | undefined;
  }

  string(obj: Obj, key: string, field: string, pattern: Test = NO_CONTROL, max = 4096): string | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > max) {
      this.bad(`${field}.${key}`, `must be a non-empty string of at most ${max} characters`);
    }
    if (!(typeof pattern === 'function' ? pattern(value) : pattern.test(value)))
      this.bad(`${field}.${key}`, 'has characters that are not allowed here');
    return value;
  }

  /** PEM text: newlines allowed, other control characters not. */
  pem(obj: Obj, key: string, field: string): string | undefined {
    const value = this.string(obj, key, field, (t) => controlFree(t, '\t\n\r'), 65536);
    if (value !== undefined && !value.includes('-----BEGIN ')) this.bad(`${field}.${key}`, 'must be PEM text');
    return value;
  }

  address(obj: Obj, key: string, field: string): string | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || isIP(value) === 0) this.bad(`${field}.${key}`, 'must be an IPv4 or IPv6 address');
    return value;
  }

  regex(obj: Obj, key: string, field: string): string | undefined {
    const value = this.string(obj, key, field, ANY);
    if (value === undefined) return undefined;
    try {
      new RegExp(value);
    } catch (cause) {
      throw new HealthError(this.code, `${field}.${key} is not a valid regular expression`, {
        field: `${field}.${key}`,
        cause,
      });
    }
    return value;
  }

  stringMap(obj: Obj, key: string, field: string, name: RegExp): Record<string, string> | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    const map = this.object(value, `${field}.${key}`);
    for (const [k, v] of Object.entries(map)) {
      if (!name.test(k)) this.bad(`${field}.${key}`, `has an invalid name ${JSON.stringify(k)}`);
      if (typeof v !== 'string' || !NO_CONTROL(v)) {
        this.bad(`${field}.${key}.${k}`, 'must be a string without control characters');
      }
    }
    return map as Record<string, string>;
  }
}

const check: Checker = new Checker('HEALTH_INVALID_CHECK');
const target: Checker = new Checker('HEALTH_INVALID_TARGET');

const TLS_FIELDS = ['servername', 'verify', 'ca'] as const;
/** Check types that talk to a port. */
const PORTED = new Set(['connect', 'negotiate', 'agent', 'dns', 'smtp', 'pop3', 'imap', 'ftp', 'tls', 'send-expect']);

function tlsOptions(obj: Obj, field: string): void {
  check.string(obj, 'servername', field, HOSTNAME, 253);
  check.bool(obj, 'verify', field);
  check.pem(obj, 'ca', field);
}

function steps(value: unknown, field: string): SendExpectStep[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 64) {
    check.bad(field, 'must be a list of 1 to 64 steps');
  }
  return value.map((raw, i) => {
    const f = `${field}[${i}]`;
    const step = check.object(raw, f);
    const keys = Object.keys(step);
    if (keys.length !== 1) check.bad(f, 'must have exactly one of send, expect, expectRegex');
    if ('send' in step) return { send: check.string(step, 'send', f, ANY) as string };
    if ('expect' in step) return { expect: check.string(step, 'expect', f, ANY) as string };
    if ('expectRegex' in step) return { expectRegex: check.regex(step, 'expectRegex', f) as string };
    return check.bad(`${f}.${keys[0]}`, 'is not a known field');
  });
}

/** Validates one check definition; throws `HEALTH_INVALID_CHECK` naming the field. Returns a copy. */
export function validateCheck(input: unknown, field = 'check'): CheckDefinition {
  const obj = check.object(input, field);
  const type = obj.type;
  if (typeof type !== 'string' || !(CHECK_TYPES as readonly string[]).includes(type)) {
    check.bad(`${field}.type`, `must be one of ${CHECK_TYPES.join(', ')}`);
  }
  const port = () => check.int(obj, 'port', field, 1, 65535);
  switch (type) {
    case 'on':
    case 'off':
    case 'ping':
      check.only(obj, field, ['type']);
      break;
    case 'connect':
      check.only(obj, field, ['type', 'port']);
      port();
      break;
    case 'negotiate': {
      check.only(obj, field, [
        'type',
        'port',
        'scheme',
        'method',
        'path',
        'host',
        'headers',
        'expectStatus',
        'expectContent',
        'expectRegex',
        'servername',
        'verify',
        'ca',
        'cert',
        'key',
        'redirects',
        'maxBodyBytes',
      ]);
      port();
      if (obj.scheme !== undefined && obj.scheme !== 'http' && obj.scheme !== 'https') {
        check.bad(`${field}.scheme`, 'must be http or https');
      }
      if (obj.method !== undefined && !(METHODS as readonly unknown[]).includes(obj.method)) {
        check.bad(`${field}.method`, `must be one of ${METHODS.join(', ')}`);
      }
      check.string(obj, 'path', field, /^\/[\x21-\x7e]*$/, 2048);
      check.string(obj, 'host', field, /^[A-Za-z0-9._:[\]-]+$/, 260);
      check.stringMap(obj, 'headers', field, HEADER_NAME);
      if (obj.expectStatus !== undefined) {
        const list = obj.expectStatus;
        if (
          !Array.isArray(list) ||
          list.length === 0 ||
          !list.every((s) => Number.isInteger(s) && (s as number) >= 100 && (s as number) <= 599)
        ) {
          check.bad(`${field}.expectStatus`, 'must be a non-empty list of HTTP statuses (100-599)');
        }
      }
      check.string(obj, 'expectContent', field, ANY);
      check.regex(obj, 'expectRegex', field);
      tlsOptions(obj, field);
      const cert = check.pem(obj, 'cert', field);
      const key = check.pem(obj, 'key', field);
      if ((cert === undefined) !== (key === undefined))
        check.bad(`${field}.${cert ? 'key' : 'cert'}`, 'is required with cert/key');
      check.int(obj, 'redirects', field, 0, 10);
      check.int(obj, 'maxBodyBytes', field, 0, 16 * 1024 * 1024);
      if (obj.scheme !== 'https') {
        for (const key of [...TLS_FIELDS, 'cert', 'key']) {
          if (obj[key] !== undefined) check.bad(`${field}.${key}`, 'applies to scheme https only');
        }
      }
      break;
    }
    case 'external': {
      check.only(obj, field, ['type', 'command', 'args', 'env', 'dynamicWeight']);
      const command = check.string(obj, 'command', field, (t) => t.startsWith('/') && controlFree(t));
      if (command === undefined) check.bad(`${field}.command`, 'is required (an absolute path)');
      if (obj.args !== undefined) {
        if (!Array.isArray(obj.args) || obj.args.length > 64) check.bad(`${field}.args`, 'must be a list of strings');
        obj.args.forEach((_, i) => {
          check.string(obj.args as unknown as Obj, String(i), `${field}.args`, (t) => !t.includes('\0'));
        });
      }
      check.stringMap(obj, 'env', field, ENV_NAME);
      check.bool(obj, 'dynamicWeight', field);
      break;
    }
    case 'agent':
      check.only(obj, field, ['type', 'port', 'send']);
      if (port() === undefined) check.bad(`${field}.port`, 'is required (the agent listens on its own port)');
      check.string(obj, 'send', field, ANY, 1024);
      break;
    case 'dns': {
      check.only(obj, field, ['type', 'port', 'name', 'recordType', 'expect']);
      port();
      if (check.string(obj, 'name', field, HOSTNAME, 253) === undefined) check.bad(`${field}.name`, 'is required');
      if (obj.recordType !== undefined && !(DNS_TYPES as readonly unknown[]).includes(obj.recordType)) {
        check.bad(`${field}.recordType`, `must be one of ${DNS_TYPES.join(', ')}`);
      }
      check.string(obj, 'expect', field, NO_CONTROL, 255);
      break;
    }
    case 'smtp':
    case 'pop3':
    case 'imap':
    case 'ftp':
      check.only(obj, field, ['type', 'port', 'tls', ...TLS_FIELDS]);
      port();
      check.bool(obj, 'tls', field);
      tlsOptions(obj, field);
      break;
    case 'tls':
      check.only(obj, field, ['type', 'port', 'warnDays', ...TLS_FIELDS]);
      port();
      check.int(obj, 'warnDays', field, 0, 3650);
      tlsOptions(obj, field);
      break;
    case 'send-expect':
      check.only(obj, field, ['type', 'port', 'tls', 'steps', ...TLS_FIELDS]);
      port();
      check.bool(obj, 'tls', field);
      tlsOptions(obj, field);
      steps(obj.steps, `${field}.steps`);
      break;
  }
  const copy = structuredClone(obj);
  // The type from the constant list, not the clone's own copy of the string: ten thousand
  // targets then share one 'connect'.
  copy.type = CHECK_TYPES.find((t) => t === type);
  return copy as unknown as CheckDefinition;
}

const TARGET_FIELDS = [
  'id',
  'service',
  'address',
  'port',
  'virtual',
  'check',
  'schedule',
  'intervalMs',
  'downIntervalMs',
  'timeoutMs',
  'rise',
  'fall',
  'initialState',
];

/** Validates a target and fills in defaults; throws `HEALTH_INVALID_TARGET`/`HEALTH_INVALID_CHECK` naming the field. */
export function validateTarget(input: unknown, field = 'target'): NormalizedTarget {
  const obj = target.object(input, field);
  target.only(obj, field, TARGET_FIELDS);
  const id = target.string(obj, 'id', field, ID, 200);
  if (id === undefined) target.bad(`${field}.id`, 'is required');
  const service = target.string(obj, 'service', field, ID, 200);
  const address = target.address(obj, 'address', field);
  if (address === undefined) target.bad(`${field}.address`, 'is required');
  const port = target.int(obj, 'port', field, 1, 65535);
  let virtual: NormalizedTarget['virtual'];
  if (obj.virtual !== undefined) {
    const v = target.object(obj.virtual, `${field}.virtual`);
    target.only(v, `${field}.virtual`, ['address', 'port']);
    const vAddress = target.address(v, 'address', `${field}.virtual`);
    if (vAddress === undefined) target.bad(`${field}.virtual.address`, 'is required');
    virtual = { address: vAddress, port: target.int(v, 'port', `${field}.virtual`, 1, 65535) };
  }

  if ((obj.check === undefined) === (obj.schedule === undefined)) {
    target.bad(`${field}.check`, 'or schedule is required (exactly one of the two)');
  }
  let schedule: ScheduleEntry[];
  if (obj.check !== undefined) {
    schedule = [{ check: validateCheck(obj.check, `${field}.check`), rounds: 1 }];
  } else {
    const list = obj.schedule;
    if (!Array.isArray(list) || list.length === 0 || list.length > 16) {
      target.bad(`${field}.schedule`, 'must be a list of 1 to 16 entries');
    }
    schedule = list.map((raw, i) => {
      const f = `${field}.schedule[${i}]`;
      const entry = target.object(raw, f);
      target.only(entry, f, ['check', 'rounds']);
      const rounds = target.int(entry, 'rounds', f, 1, 1000) ?? 1;
      return { check: validateCheck(entry.check, `${f}.check`), rounds };
    });
  }
  schedule.forEach((entry, i) => {
    if (port === undefined && PORTED.has(entry.check.type) && checkPort(entry.check, undefined) === undefined) {
      const f = obj.check !== undefined ? `${field}.check.port` : `${field}.schedule[${i}].check.port`;
      target.bad(f, `is required: the target has no port and ${entry.check.type} has no default`);
    }
  });

  const intervalMs = target.int(obj, 'intervalMs', field, 10, 86_400_000) ?? 2000;
  const downIntervalMs = target.int(obj, 'downIntervalMs', field, 10, 86_400_000) ?? intervalMs;
  const timeoutMs = target.int(obj, 'timeoutMs', field, 1, 3_600_000) ?? Math.min(2000, intervalMs);
  const rise = target.int(obj, 'rise', field, 1, 1000) ?? 2;
  const fall = target.int(obj, 'fall', field, 1, 1000) ?? 3;
  const initialState = obj.initialState ?? 'unknown';
  if (!(STATES as readonly unknown[]).includes(initialState)) {
    target.bad(`${field}.initialState`, `must be one of ${STATES.join(', ')}`);
  }
  return {
    id,
    service,
    address,
    port,
    virtual,
    schedule,
    intervalMs,
    downIntervalMs,
    timeoutMs,
    rise,
    fall,
    initialState: initialState as TargetState,
  };
}
