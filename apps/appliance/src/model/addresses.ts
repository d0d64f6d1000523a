/**
 * Address checks without node:net, so that the model runs in the browser as it does in the
 * daemon. They accept and refuse exactly what node:net's isIPv4 and isIPv6 do
 * (test/model/addresses.test.ts compares them): a dotted quad without leading zeros; IPv6
 * as hex groups of 1-4 digits, at most one "::" (standing for one group or more), an IPv4
 * tail for the last two groups, and a zone (`fe80::1%eth0`). Like node:net they read any
 * value as its string, so an address missing from an unchecked configuration is refused,
 * not thrown on.
 */

const QUAD = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9a-zA-Z.:-]+$/;

export function isIPv4(text: string): boolean {
  const quads = String(text).split('.');
  return quads.length === 4 && quads.every((quad) => QUAD.test(quad));
}

export function isIPv6(value: string): boolean {
  const text = String(value);
  const percent = text.indexOf('%');
  if (percent !== -1 && !ZONE.test(text.slice(percent + 1))) return false;
  const halves = (percent === -1 ? text : text.slice(0, percent)).split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  const last = groups.at(-1) ?? [];
  const ipv4Tail = last.at(-1)?.includes('.') === true;
  if (ipv4Tail && !isIPv4(last.pop() ?? '')) return false;
  if (!groups.every((half) => half.every((group) => GROUP.test(group)))) return false;
  const count = groups.reduce((sum, half) => sum + half.length, ipv4Tail ? 2 : 0);
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** An address as a number (IPv4: 32 bits, IPv6: 128), or undefined when it is neither. */
export function addressBits(text: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(text)) {
    return { family: 4, value: text.split('.').reduce((sum, quad) => (sum << 8n) | BigInt(quad), 0n) };
  }
  if (!isIPv6(text)) return undefined;
  const bare = text.split('%')[0] ?? '';
  const [head = '', tail] = bare.split('::');
  const groups = (half: string) => {
    const out: number[] = [];
    for (const group of half === '' ? [] : half.split(':')) {
      if (group.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(Number.parseInt(group, 16));
    }
    return out;
  };
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = [...before, ...new Array(8 - before.length - after.length).fill(0), ...after];
  return { family: 6, value: all.reduce((sum, group) => (sum << 16n) | BigInt(group), 0n) };
}

/** Whether `cidr`'s network (`192.0.2.10/24`: 192.0.2.0/24) holds `address`. */
export function networkHolds(cidr: string, address: string): boolean {
  const [base = '', prefixText = ''] = cidr.split('/');
  const net = addressBits(base);
  const ip = addressBits(address);
  if (net === undefined || ip === undefined || net.family !== ip.family) return false;
  const width = net.family === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return false;
  const shift = BigInt(width - prefix);
  return net.value >> shift === ip.value >> shift;
}

/** One spelling per address (`2001:0db8::0:1` and `2001:db8::1` alike), for comparing. */
export function sameAddress(a: string, b: string): boolean {
  const x = addressBits(a);
  const y = addressBits(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
}

/** IPv6 link-local (fe80::/10): on-link on every interface, so a gateway there needs no configured network. */
export function isLinkLocal(address: string): boolean {
  return networkHolds('fe80::/10', address);
}
