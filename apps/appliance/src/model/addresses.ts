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
