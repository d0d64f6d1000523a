import { z } from 'zod';
import { scryptCostProblem } from '../auth/scrypt-cost.js';

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

/** A network interface name as the kernel accepts it (IFNAMSIZ - 1 characters, no "/" or space). */
export const interfaceName = z
  .string()
  .min(1)
  .max(15)
  .regex(/^[A-Za-z0-9_.:@-]+$/, { message: 'must be an interface name (letters, digits, "_", ".", ":", "@", "-")' })
  .refine((name) => name !== '.' && name !== '..', { message: 'must be an interface name' });

export const ipv4 = z.ipv4();
export const ipv6 = z.ipv6();
/** An IPv4 or IPv6 address, without a prefix length. */
export const address = z.union([ipv4, ipv6], { error: 'must be an IPv4 or IPv6 address' });
/** An address with its prefix length (`192.0.2.10/24`). */
export const cidr = z.union([z.cidrv4(), z.cidrv6()], {
  error: 'must be an address with its prefix length (192.0.2.10/24)',
});

export const port = z.int().min(1).max(65535);
/** A firewall mark as iptables/nftables set it (non-zero, 32 bits). */
export const fwmark = z.int().min(1).max(4294967295);

/** A port range, both ends included. */
export const portRange = z
  .strictObject({ from: port, to: port })
  .refine((range) => range.from <= range.to, { message: '"from" must not exceed "to"', path: ['to'] });

/** A port or a port range. */
export const portSpec = z.union([port, portRange], { error: 'must be a port (1-65535) or a range { from, to }' });

/** An absolute file path on the appliance, without ".." segments. */
export const filePath = text(4096)
  .min(2)
  .regex(/^\//, { message: 'must be an absolute path' })
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
