/**
 * The balancer's side of TPROXY (`tproxy: true`: HAProxy connects to the real server from
 * the client's own address, `source 0.0.0.0 usesrc clientip`). The real server answers the
 * client's address; that reply reaches the balancer but is not for any local address, so
 * the kernel would forward it (or drop it) instead of handing it to HAProxy. The standard
 * fix (Linux Documentation/networking/tproxy.rst, HAProxy's "usesrc"):
 *
 *   nft: a packet that belongs to an existing transparent socket gets a firewall mark
 *        (`meta l4proto tcp socket transparent 1 meta mark set MARK accept`), in one
 *        `inet` table, so IPv4 and IPv6 alike;
 *   ip rule:  `fwmark MARK lookup TABLE` (IPv4 and IPv6);
 *   ip route: `local default dev lo table TABLE`: every marked packet is delivered locally.
 *
 * Our own numbers, chosen not to collide with the host's: the mark, the routing table and
 * the rule's priority are all 21324 (0x534c, "SL"; below the main table's 32766), and the
 * nft table is `inet sluice_tproxy`. They are set up while a TPROXY service exists and
 * removed when none is left, in the daemon's namespace or the one `serve --netns` names.
 */
import { execFile } from 'node:child_process';
import { ApplianceError } from '../../errors.js';

export const TPROXY_MARK = 0x534c;
export const TPROXY_TABLE = 21324;
export const TPROXY_RULE_PRIORITY = 21324;
export const TPROXY_NFT_TABLE = 'sluice_tproxy';

export interface CommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs a program (with `input` on its stdin); never rejects: the result says how it went. */
export type CommandRunner = (file: string, args: readonly string[], input?: string) => Promise<CommandResult>;

const COMMAND_TIMEOUT_MS = 10_000;

export const execRunner: CommandRunner = (file, args, input) =>
  new Promise((resolve) => {
    const child = execFile(file, args, { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) =>
      resolve({ ok: error === null, stdout, stderr: stderr || (error ? String(error) : '') }),
    );
    // A program that exits before reading its stdin (`ip` never reads it) makes the write
    // fail with EPIPE: its result is the exit status above, and an unhandled stream error
    // would end the daemon.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });

const NFT_RULESET = `table inet ${TPROXY_NFT_TABLE} {}
delete table inet ${TPROXY_NFT_TABLE}
table inet ${TPROXY_NFT_TABLE} {
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    meta l4proto tcp socket transparent 1 meta mark set ${TPROXY_MARK} accept
  }
}
`;

const FAMILIES = ['-4', '-6'] as const;

export interface TproxyRoutingOptions {
  /** The named network namespace of the data plane (`serve --netns`); default this process's. */
  netns?: string;
  run?: CommandRunner;
}

/** Sets up and removes TPROXY's policy routing and socket match, idempotently. */
export class TproxyRouting {
  private readonly netns: string | undefined;
  private readonly run: CommandRunner;
  /** What the last sync left; undefined before the first (a previous run may have left it set up). */
  private installed: boolean | undefined;

  constructor(options: TproxyRoutingOptions = {}) {
    this.netns = options.netns;
    this.run = options.run ?? execRunner;
  }

  private ip(args: readonly string[]): Promise<CommandResult> {
    return this.run('ip', this.netns === undefined ? args : ['-n', this.netns, ...args]);
  }

  private nft(args: readonly string[], input?: string): Promise<CommandResult> {
    return this.netns === undefined
      ? this.run('nft', args, input)
      : this.run('ip', ['netns', 'exec', this.netns, 'nft', ...args], input);
  }

  /**
   * Makes the routing match `wanted` (some service uses TPROXY); returns what changed.
   * `field` names the configuration at fault in an error (the first TPROXY service).
   */
  async sync(wanted: boolean, field = 'layer7'): Promise<string[]> {
    if (this.installed === wanted) return [];
    if (wanted) {
      await this.setUp(field);
      this.installed = true;
      return [
        `layer7: TPROXY routing set up (fwmark ${TPROXY_MARK} -> table ${TPROXY_TABLE}, nft table inet ${TPROXY_NFT_TABLE})`,
      ];
    }
    const removed = await this.remove();
    this.installed = false;
    return removed ? ['layer7: TPROXY routing removed (no TPROXY service left)'] : [];
  }

  /**
   * Drift: while set up, puts back what was removed out of band (a flushed ruleset, a
   * deleted rule or route); returns what it did.
   */
  async repair(field = 'layer7'): Promise<string[]> {
    if (this.installed !== true) return [];
    const intact =
      (await this.nft(['list', 'table', 'inet', TPROXY_NFT_TABLE])).ok &&
      (await this.hasRule('-4')) &&
      (await this.hasRule('-6')) &&
      (await this.hasRoute('-4')) &&
      (await this.hasRoute('-6'));
    if (intact) return [];
    await this.setUp(field);
    return ['layer7: TPROXY routing put back (changed out of band)'];
  }

  private async hasRoute(family: (typeof FAMILIES)[number]): Promise<boolean> {
    const listed = await this.ip([family, 'route', 'show', 'table', `${TPROXY_TABLE}`]);
    return listed.ok && /^local default dev lo\b/m.test(listed.stdout);
  }

  private fail(what: string, result: CommandResult, field: string): never {
    throw new ApplianceError('ENGINE_APPLY_FAILED', `TPROXY routing: ${what} failed: ${result.stderr.trim()}`, {
      field,
    });
  }

  private async setUp(field: string): Promise<void> {
    // The nft table first: marks without the rule route nothing differently, a rule without
    // marks matches nothing. The ruleset replaces a table left by an earlier run at once.
    const nft = await this.nft(['-f', '-'], NFT_RULESET);
    if (!nft.ok) this.fail(`nft table inet ${TPROXY_NFT_TABLE}`, nft, field);
    for (const family of FAMILIES) {
      const route = await this.ip([
        family,
        'route',
        'replace',
        'local',
        'default',
        'dev',
        'lo',
        'table',
        `${TPROXY_TABLE}`,
      ]);
      if (!route.ok) this.fail(`ip ${family} route table ${TPROXY_TABLE}`, route, field);
      if (await this.hasRule(family)) continue;
      const rule = await this.ip([
        family,
        'rule',
        'add',
        'fwmark',
        `${TPROXY_MARK}`,
        'lookup',
        `${TPROXY_TABLE}`,
        'priority',
        `${TPROXY_RULE_PRIORITY}`,
      ]);
      if (!rule.ok) this.fail(`ip ${family} rule priority ${TPROXY_RULE_PRIORITY}`, rule, field);
    }
  }

  /** Whether our rule is there already (`ip rule add` would add it twice). */
  private async hasRule(family: (typeof FAMILIES)[number]): Promise<boolean> {
    const listed = await this.ip(['-j', family, 'rule', 'show']);
    if (!listed.ok) return false;
    const rules = JSON.parse(listed.stdout || '[]') as { priority?: number; table?: string; fwmark?: string }[];
    return rules.some(
      (r) => r.priority === TPROXY_RULE_PRIORITY && r.table === `${TPROXY_TABLE}` && Number(r.fwmark) === TPROXY_MARK,
    );
  }

  /**
   * Removes ours; true if anything was there. Missing pieces are not errors (a half set-up, a
   * first start). Each piece is looked for first: a start with nothing to remove writes
   * nothing to the kernel (a box moved to the appliance sees no change it did not ask for).
   */
  private async remove(): Promise<boolean> {
    let removed = false;
    for (const family of FAMILIES) {
      // Only rules at our priority pointing at our table: a host rule at the same priority stays.
      const spec = ['fwmark', `${TPROXY_MARK}`, 'lookup', `${TPROXY_TABLE}`, 'priority', `${TPROXY_RULE_PRIORITY}`];
      if (await this.hasRule(family)) {
        for (let i = 0; i < 8 && (await this.ip([family, 'rule', 'del', ...spec])).ok; i++) removed = true;
      }
      const listed = await this.ip([family, 'route', 'show', 'table', `${TPROXY_TABLE}`]);
      if (listed.ok && listed.stdout.trim() !== '') {
        removed = true;
        await this.ip([family, 'route', 'flush', 'table', `${TPROXY_TABLE}`]);
      }
    }
    if ((await this.nft(['list', 'table', 'inet', TPROXY_NFT_TABLE])).ok) {
      if ((await this.nft(['delete', 'table', 'inet', TPROXY_NFT_TABLE])).ok) removed = true;
    }
    return removed;
  }
}
