type Fields = Record<string, string | number | boolean | null>;

interface Open {
  address: string;
  user: string;
  start: number;
  /** Failures after the first, not yet written. */
  more: number;
  codes: Record<string, number>;
}

/**
 * Failed logins in the audit log, aggregated: the first failure of an (address, user)
 * pair is written at once, the ones after it within `windowMs` become one record with a
 * count when the window ends (or the pair logs in). Refusals for being rate limited are
 * counted per address whatever the name, and past `maxOpen` pairs every other failure is
 * counted together: a flood of guesses writes a bounded number of records, so it cannot
 * turn the log ring and files over and hide what came before.
 */
export class FailedLoginAudit {
  private readonly open = new Map<string, Open>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly now: () => number,
    private readonly write: (message: string, fields: Fields) => void,
    readonly windowMs = 60_000,
    private readonly maxOpen = 100,
  ) {}

  failed(address: string, user: string, code: string): void {
    this.sweep();
    const name = code === 'AUTH_RATE_LIMITED' ? '*' : user;
    let key = `${address}\n${name}`;
    if (!this.open.has(key) && this.open.size >= this.maxOpen) key = '*\n*';
    const entry = this.open.get(key);
    if (entry !== undefined) {
      entry.more++;
      entry.codes[code] = (entry.codes[code] ?? 0) + 1;
      return;
    }
    const [keyAddress = '*', keyUser = '*'] = key.split('\n');
    this.open.set(key, { address: keyAddress, user: keyUser, start: this.now(), more: 0, codes: {} });
    this.schedule();
    const together =
      keyAddress === '*'
        ? '; more from other clients are counted together'
        : keyUser === '*'
          ? '; more refusals of this client are counted together'
          : '';
    this.write(`failed login of ${JSON.stringify(user)} from ${address} (${code}${together})`, {
      user: user.slice(0, 64),
      address,
      outcome: code,
      count: 1,
    });
  }

  /** The pair logged in: what it failed before is written now. */
  succeeded(address: string, user: string): void {
    const key = `${address}\n${user}`;
    const entry = this.open.get(key);
    if (entry === undefined) return;
    this.open.delete(key);
    this.summarise(entry);
  }

  /** Write and forget the pairs whose window ended. */
  sweep(): void {
    const time = this.now();
    for (const [key, entry] of this.open) {
      if (time - entry.start < this.windowMs) continue;
      this.open.delete(key);
      this.summarise(entry);
    }
  }

  /** Write every count now (the daemon stops). */
  flush(): void {
    for (const entry of this.open.values()) this.summarise(entry);
    this.open.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private summarise(entry: Open): void {
    if (entry.more === 0) return;
    const who = entry.user === '*' ? 'any user' : JSON.stringify(entry.user);
    const from = entry.address === '*' ? 'other clients' : entry.address;
    const codes = Object.entries(entry.codes)
      .map(([code, count]) => `${code} ${count}`)
      .join(', ');
    const seconds = Math.max(1, Math.round((this.now() - entry.start) / 1000));
    this.write(`${entry.more} more failed logins of ${who} from ${from} in ${seconds} s (${codes})`, {
      user: entry.user,
      address: entry.address,
      outcome: 'aggregated',
      count: entry.more,
      codes,
    });
  }

  /** A timer writes the counts of windows that ended when no further login comes to do it. */
  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.sweep();
      } catch {
        // A closed log book: nothing left to write to.
      }
      if (this.open.size > 0) this.schedule();
    }, this.windowMs);
    this.timer.unref();
  }
}
