import { z } from 'zod';
import { PORT_MESSAGE } from './messages.js';
import { scryptCostProblem } from './scrypt-cost.js';

/*
 * Every string in the configuration is bounded and free of control characters (and of
 * the invisible format and line-separator characters), so that no value can add a line
 * to a generated HAProxy or keepalived-style file, a log line or an audit entry.
 */
const noControl = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u;

/** Free text (descriptions, comments): bounded, one line. */
export function text(max: number) {
  return z.string().max(max).regex(noControl, { message: 'must not contain control or line-separator characters' });
}

/**
 * Labels name objects and appear in generated configuration (HAProxy backend names,
 * log lines), so they are restricted to what every consumer accepts as one token.
 */
export const label = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    message: 'must start with a letter or digit and hold only letters, digits, "_", "." and "-"',
  });

/*
 * The names below are what the consumers of the configuration take as one word: the kernel
 * and `ip` (interfaces), HAProxy's configuration and runtime API (cookies, URL values,
 * certificate paths). They are written out here as regular expressions, not imported from
 * @sluice/haproxy-config (`isInterfaceName`, `isCookieName`, `isFilePath`): this module is
 * bundled into the web UI, where that package's entry (processes, sockets) cannot go, and
 * the JSON Schema can carry a pattern but not a function. They are never wider than the
 * package's (test/config-names-agree.test.ts holds them to it), and every write is also
 * rendered before it is stored (config/consumers.ts), which catches what these cannot say.
 */

/**
 * A network interface name as the kernel accepts it (IFNAMSIZ - 1 characters, no "/", ":"
 * or space), and as `ip` and the other tools take it: never starting with "-", which they
 * would read as an option.
 */
export const interfaceName = z
  .string()
  .min(1)
  .max(15)
  .regex(/^[A-Za-z0-9_.@][A-Za-z0-9_.@-]*$/, {
    message: 'must be an interface name (letters, digits, "_", ".", "@", "-"; not starting with "-")',
  })
  .refine((name) => name !== '.' && name !== '..', { message: 'must be an interface name' });

/**
 * A cookie name: an HTTP token (RFC 6265) that HAProxy's `cookie` directive also takes as a
 * name, so letters, digits, "_", "." and "-", starting with a letter or digit ("#" would
 * start a comment in haproxy.cfg; "$", "'" and the like are quoting there).
 */
export const cookieName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    message: 'must be a cookie name (letters, digits, "_", "." and "-", starting with a letter or digit)',
  });

/** A Host header value as HAProxy's host match takes it: a name or IPv4 address, an optional port; no wildcards. */
export const HOST_VALUE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}(:[0-9]{1,5})?$/;

/**
 * A host name as RFC 1123 has it: dot-separated labels of letters, digits and "-", none
 * starting or ending with "-"; at most 253 characters. It is also what a systemd file,
 * `hostnamectl` and `timesyncd` take as one word (no space, "=", "[" or line break).
 */
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
export const hostName = z.string().max(253).regex(HOST_NAME, {
  message: 'must be a host name (RFC 1123: letters, digits and "-" between dots, no label starting or ending with "-")',
});

export const ipv4 = z.ipv4();
export const ipv6 = z.ipv6();
/** An IPv4 or IPv6 address, without a prefix length. */
export const address = z.union([ipv4, ipv6], { error: 'must be an IPv4 or IPv6 address' });
/** An address with its prefix length (`192.0.2.10/24`). */
export const cidr = z.union([z.cidrv4(), z.cidrv6()], {
  error: 'must be an address with its prefix length (192.0.2.10/24)',
});

/** A missing port is "required" (the map in messages.ts); any other fault is the port rule's one message. */
const portFault = (issue: { input?: unknown }) => (issue.input === undefined ? undefined : PORT_MESSAGE);
export const port = z.int({ error: portFault }).min(1, { error: PORT_MESSAGE }).max(65535, { error: PORT_MESSAGE });
/** A firewall mark as iptables/nftables set it (non-zero, 32 bits). */
export const fwmark = z.int().min(1).max(4294967295);

/** A port range, both ends included. */
export const portRange = z
  .strictObject({ from: port, to: port })
  .refine((range) => range.from <= range.to, { message: '"from" must not exceed "to"', path: ['to'] });

/** A port or a port range. */
export const portSpec = z.union([port, portRange], {
  error: (issue) =>
    issue.input !== null && typeof issue.input === 'object'
      ? `must be a range { from, to } of ports, 1-65535`
      : PORT_MESSAGE,
});

/**
 * An absolute file path on the appliance, without ".." segments, that is one word wherever
 * it is written: haproxy.cfg, HAProxy's runtime API (which names a certificate by its path
 * and splits its commands at spaces), log lines. So letters, digits and "_ . - + @ = , : ~"
 * between the slashes; no space, quote, "#", "$" or "%".
 */
export const filePath = text(4096)
  .min(2)
  .regex(/^\//, { message: 'must be an absolute path' })
  .regex(/^[A-Za-z0-9_.\-+@=,:~/]+$/, {
    message: 'must hold only letters, digits, "/" and "_ . - + @ = , : ~" (no spaces, quotes, "#", "$" or "%")',
  })
  .refine((path) => !path.split('/').includes('..'), { message: 'must not contain ".." segments' });

/**
 * A password hash in modular crypt format: bcrypt ($2b$), sha512-crypt ($6$),
 * sha256-crypt ($5$), yescrypt ($y$), argon2 or scrypt. Plain text never matches.
 */
export const passwordHash = z
  .string()
  .max(512)
  .regex(/^\$(2[aby]|5|6|y|argon2id|argon2i|scrypt)\$[A-Za-z0-9./$=,+-]{20,500}$/, {
    message: 'must be a password hash in modular crypt format ($2b$, $6$, $y$, $argon2id$, $scrypt$), never a password',
  })
  // A scrypt hash sets the cost of every login against it: bounded where it is stored.
  .superRefine((hash, ctx) => {
    const problem = scryptCostProblem(hash);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
