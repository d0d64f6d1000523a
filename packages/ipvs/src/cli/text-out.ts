/**
 * ASCII text written straight into a growing buffer: a listing of 100,000 real servers
 * builds one string at the end instead of half a million small ones (each a fresh
 * allocation, and in a kernel where fresh pages fault expensively, that was most of
 * `-Ln`'s time). Everything written is ASCII: addresses, numbers, keywords.
 */
export class TextOut {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private at = 0;

  text(s: string): this {
    this.room(s.length);
    this.at += this.buf.write(s, this.at, 'latin1');
    return this;
  }

  /** `s` left-aligned in `width` columns, as `padEnd` (never cut). */
  padded(s: string, width: number): this {
    this.text(s);
    return this.spaces(width - s.length);
  }

  /** `address:port` (`[address]:port` for IPv6) left-aligned in `width` columns. */
  hostPort(address: string, port: number, width: number): this {
    const start = this.at;
    const v6 = address.includes(':');
    if (v6) this.text('[');
    this.text(address);
    this.text(v6 ? ']:' : ':');
    this.text(String(port));
    return this.spaces(width - (this.at - start));
  }

  spaces(n: number): this {
    if (n <= 0) return this;
    this.room(n);
    this.buf.fill(32, this.at, this.at + n);
    this.at += n;
    return this;
  }

  toString(): string {
    return this.buf.toString('latin1', 0, this.at);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}
