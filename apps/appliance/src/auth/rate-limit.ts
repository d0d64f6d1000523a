/**
 * Failed logins per key (an address, or an address and a user name): `limit` failures
 * within `windowMs` block the key until the oldest of them leaves the window. An attempt
 * is counted when it starts (`fail` before the password hash is computed), so that
 * guesses sent at once cannot all pass the check before any of them failed; a correct
 * one takes its count back. Memory is bounded: keys whose failures have all expired are
 * dropped, and past `maxKeys` the oldest go first.
 */
export class LoginRateLimiter {
  /** Each failure is an object, so that `fail`'s undo removes exactly its own. */
  private readonly failures = new Map<string, { time: number }[]>();

  constructor(
    private readonly now: () => number,
    readonly limit = 5,
    private readonly windowMs = 5 * 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** Seconds until `key` may try again, or 0. */
  retryAfter(key: string): number {
    const list = this.recent(key);
    if (list.length < this.limit) return 0;
    const oldest = (list[list.length - this.limit] as { time: number }).time;
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
  }

  /** Count a failure (or an attempt in flight); the function returned takes it back. */
  fail(key: string): () => void {
    const list = this.recent(key);
    const entry = { time: this.now() };
    list.push(entry);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    this.failures.delete(key);
    this.failures.set(key, list);
    if (this.failures.size > this.maxKeys) this.prune();
    return () => {
      const current = this.failures.get(key);
      const index = current?.indexOf(entry) ?? -1;
      if (current !== undefined && index >= 0) current.splice(index, 1);
    };
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): { time: number }[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((entry) => entry.time > since);
  }

  private prune(): void {
    const since = this.now() - this.windowMs;
    for (const [key, list] of this.failures) {
      if (list.every((entry) => entry.time <= since)) this.failures.delete(key);
    }
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxKeys) break;
      this.failures.delete(key);
    }
  }
}

/**
 * Password hashes computed at once, per address and in total: scrypt is meant to be
 * expensive, so a burst must not queue up unbounded work. A request that finds no free
 * slot is refused at once (429), not queued, so a flood costs the appliance no memory.
 */
export class HashSlots {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(
    readonly maxTotal = 4,
    readonly maxPerAddress = 2,
  ) {}

  /** Take a slot for `address`; false when none is free. Give it back with `release`. */
  tryAcquire(address: string): boolean {
    const mine = this.perAddress.get(address) ?? 0;
    if (this.total >= this.maxTotal || mine >= this.maxPerAddress) return false;
    this.total++;
    this.perAddress.set(address, mine + 1);
    return true;
  }

  release(address: string): void {
    const mine = this.perAddress.get(address) ?? 0;
    if (mine <= 1) this.perAddress.delete(address);
    else this.perAddress.set(address, mine - 1);
    this.total = Math.max(0, this.total - 1);
  }
}

/**
 * The key of a client address for limits: an IPv6 client controls its whole /64, so the
 * /64 is one client; IPv4 (also IPv4-mapped) is the address itself.
 */
export function addressKey(address: string): string {
  if (!address.includes(':') || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
