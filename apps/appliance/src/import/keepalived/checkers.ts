/**
 * keepalived's checkers as the appliance's health checks. keepalived checks each real
 * server with its own checkers; the appliance checks every real server of a service with
 * one health check, so the service takes one checker (virtual-servers.ts says which) and
 * identical checkers become one health check.
 */
import { type CheckSpec, importInvalid } from '../lvs-shared.js';
import { arg, type Context, intArg, mapped, timerArg, unsupported } from './context.js';
import type { Directive } from './parse.js';

/**
 * The checker settings a virtual server passes to its real servers and a real server to
 * its checkers (keepalived's rule), read once where they are written.
 */
export interface CheckerDefaults {
  intervalSeconds?: number;
  timeoutSeconds?: number;
  retry?: number;
  host?: string;
}

const TYPES: Record<string, CheckSpec['type']> = {
  TCP_CHECK: 'connect',
  HTTP_GET: 'http',
  SSL_GET: 'https',
  SMTP_CHECK: 'connect',
  PING_CHECK: 'ping',
};

const UNSUPPORTED_CHECKERS: Record<string, string> = {
  MISC_CHECK: 'runs a script, which the appliance does not',
  DNS_CHECK: 'queries DNS over UDP, which no health check of the appliance does',
  UDP_CHECK: 'sends UDP probes, which no health check of the appliance does',
  BFD_CHECK: 'follows a BFD session, which the appliance has not',
  FILE_CHECK: 'reads a file, which the appliance does not',
};

/** Whether a directive is a checker block (mapped or not). */
export function isChecker(d: Directive): boolean {
  return d.keyword in TYPES || d.keyword in UNSUPPORTED_CHECKERS;
}

/**
 * A checker setting shared by the three levels; true when `d` was one. The rest of the
 * retry machinery has no counterpart: the appliance counts `fall` failed checks, each
 * `intervalSeconds` apart.
 */
export function readDefault(ctx: Context, d: Directive, into: CheckerDefaults): boolean {
  switch (d.keyword) {
    case 'delay_loop':
      into.intervalSeconds = timerArg(ctx, d, 1, 3600, 'intervalSeconds');
      break;
    case 'connect_timeout':
      into.timeoutSeconds = timerArg(ctx, d, 1, 3600, 'timeoutSeconds');
      break;
    case 'retry':
    case 'nb_get_retry':
      into.retry = intArg(d, 0, 0, 1_000_000);
      if (into.retry > 99) {
        ctx.notes.add(d, d.keyword, 'lossy', `${into.retry} retries are taken as 99 (fall is at most 100)`);
        into.retry = 99;
      }
      break;
    case 'virtualhost':
      into.host = arg(d, 0, 'a host name');
      break;
    case 'delay_before_retry':
      ctx.notes.add(
        d,
        d.keyword,
        'lossy',
        'the retries after a failure are intervalSeconds apart: the appliance has no separate retry delay',
      );
      break;
    case 'warmup':
      ctx.notes.add(d, d.keyword, 'lossy', 'the appliance spreads the first checks by its own rule');
      break;
    case 'alpha':
      unsupported(ctx, d, '(start with servers down) has no counterpart: the appliance starts them unknown');
      return true;
    default:
      return false;
  }
  mapped(ctx);
  return true;
}

/** The http(s) checker's first `url` block: path, status and virtual host. */
function readUrl(ctx: Context, url: Directive, spec: Partial<CheckSpec>, defaults: CheckerDefaults): void {
  for (const d of url.block ?? []) {
    switch (d.keyword) {
      case 'path': {
        const path = arg(d, 0, 'a path');
        if (!/^\/\S*$/.test(path) || path.length > 1024) {
          throw importInvalid(d, `path must start with "/" and hold no spaces, not ${JSON.stringify(path)}`);
        }
        spec.path = path;
        mapped(ctx);
        break;
      }
      case 'status_code': {
        const first = arg(d, 0, 'a status code');
        const low = /^\d{3}/.exec(first)?.[0];
        if (low === undefined || Number(low) < 100 || Number(low) > 599) {
          throw importInvalid(
            d,
            `status_code must be a status (200) or a range (200-299), not ${JSON.stringify(first)}`,
          );
        }
        spec.expectStatus = Number(low);
        if (d.args.length > 1 || first !== low) {
          ctx.notes.add(d, d.keyword, 'lossy', `only status ${low} is expected (a health check takes one status)`);
        }
        mapped(ctx);
        break;
      }
      case 'virtualhost':
        defaults.host = arg(d, 0, 'a host name');
        mapped(ctx);
        break;
      case 'digest':
        unsupported(ctx, d, '(a checksum of the body) is not checked by the appliance');
        break;
      default:
        unsupported(ctx, d, 'is not checked by the appliance');
    }
  }
}

/**
 * One checker as a health check, or undefined for a kind the appliance cannot run (with
 * its note). `inherited` holds the real server's settings over the virtual server's.
 */
export function mapChecker(ctx: Context, checker: Directive, inherited: CheckerDefaults): CheckSpec | undefined {
  const type = TYPES[checker.keyword];
  if (type === undefined) {
    unsupported(ctx, checker, UNSUPPORTED_CHECKERS[checker.keyword]);
    return undefined;
  }
  mapped(ctx);
  if (checker.keyword === 'SMTP_CHECK') {
    ctx.notes.add(
      checker,
      checker.keyword,
      'lossy',
      'checked as a TCP connect to the port: the SMTP greeting and HELO are not checked',
    );
  }
  const own: CheckerDefaults = { ...inherited };
  const spec: Partial<CheckSpec> = {};
  let urls = 0;
  for (const d of checker.block ?? []) {
    if (readDefault(ctx, d, own)) continue;
    if (d.keyword === 'connect_port') {
      spec.port = intArg(d, 0, 1, 65535);
      mapped(ctx);
    } else if (d.keyword === 'url' && (type === 'http' || type === 'https')) {
      urls++;
      if (urls === 1) {
        mapped(ctx);
        readUrl(ctx, d, spec, own);
      } else {
        ctx.notes.add(d, d.keyword, 'lossy', 'only the first url is checked (a health check takes one path)');
      }
    } else if (d.keyword === 'connect_ip') {
      unsupported(ctx, d, '(check another address) has no counterpart: the real server itself is checked');
    } else {
      unsupported(ctx, d);
    }
  }
  const check: CheckSpec = {
    type,
    intervalSeconds: own.intervalSeconds ?? 60,
    timeoutSeconds: own.timeoutSeconds ?? 5,
    // keepalived takes a server back at its first good check, and gives up after the retries.
    rise: 1,
    fall: (own.retry ?? 1) + 1,
  };
  if (spec.port !== undefined) check.port = spec.port;
  if (type === 'http' || type === 'https') {
    if (spec.path !== undefined) check.path = spec.path;
    if (own.host !== undefined) {
      if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(own.host)) {
        throw importInvalid(checker, `virtualhost must be a host name or address, not ${JSON.stringify(own.host)}`);
      }
      check.host = own.host;
    }
    if (spec.expectStatus !== undefined) check.expectStatus = spec.expectStatus;
  }
  return check;
}
