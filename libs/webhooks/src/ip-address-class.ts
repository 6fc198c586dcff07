import { isIPv4, isIPv6 } from 'node:net';

/**
 * What an IP address reaches, as far as a webhook target goes:
 * - `public`: globally routable unicast; always allowed;
 * - `loopback`, `private` (RFC 1918, and benchmark and site-local ranges), `link_local`
 *   (169.254/16, where cloud metadata services listen, and fe80::/10), `unique_local` (fc00::/7),
 *   `shared` (100.64/10, carrier-grade NAT): allowed only when private hosts are configured;
 * - `unspecified` (0.0.0.0/8, ::), `multicast`, `reserved` (documentation, broadcast, future use,
 *   Teredo): never allowed, since no receiver legitimately lives there.
 */
export type IpAddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'unique_local'
  | 'shared'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

/** Classes a webhook may target only when private hosts are allowed. */
export const PRIVATE_IP_ADDRESS_CLASSES: readonly IpAddressClass[] = Object.freeze([
  'loopback',
  'private',
  'link_local',
  'unique_local',
  'shared',
]);

/** Whether a target of this class may be called. */
export function isIpAddressClassAllowed(params: {
  readonly addressClass: IpAddressClass;
  readonly allowPrivateHosts: boolean;
}): boolean {
  if (params.addressClass === 'public') return true;
  return params.allowPrivateHosts && PRIVATE_IP_ADDRESS_CLASSES.includes(params.addressClass);
}

interface Ipv4Range {
  readonly base: number;
  readonly prefixLength: number;
  readonly addressClass: IpAddressClass;
}

const ipv4Range = (cidr: string, addressClass: IpAddressClass): Ipv4Range => {
  const [address = '', prefix = '32'] = cidr.split('/');
  return { base: ipv4ToNumber(address), prefixLength: Number(prefix), addressClass };
};

// Longest prefixes first is not needed: these ranges do not overlap.
const IPV4_RANGES: readonly Ipv4Range[] = [
  ipv4Range('0.0.0.0/8', 'unspecified'),
  ipv4Range('10.0.0.0/8', 'private'),
  ipv4Range('100.64.0.0/10', 'shared'),
  ipv4Range('127.0.0.0/8', 'loopback'),
  ipv4Range('169.254.0.0/16', 'link_local'),
  ipv4Range('172.16.0.0/12', 'private'),
  ipv4Range('192.0.0.0/24', 'reserved'),
  ipv4Range('192.0.2.0/24', 'reserved'),
  ipv4Range('192.88.99.0/24', 'reserved'),
  ipv4Range('192.168.0.0/16', 'private'),
  ipv4Range('198.18.0.0/15', 'private'),
  ipv4Range('198.51.100.0/24', 'reserved'),
  ipv4Range('203.0.113.0/24', 'reserved'),
  ipv4Range('224.0.0.0/4', 'multicast'),
  ipv4Range('240.0.0.0/4', 'reserved'),
];

/**
 * Classifies an IPv4 or IPv6 address in its textual form (an IPv6 zone suffix is ignored).
 * IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64
 * `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that IPv4 address, so none of them is a way
 * around the IPv4 rules. Returns `undefined` for text that is not an IP address.
 */
export function classifyIpAddress(text: string): IpAddressClass | undefined {
  const address = text.replace(/%.*$/, '');
  if (isIPv4(address)) return classifyIpv4(ipv4ToNumber(address));
  if (isIPv6(address)) {
    const groups = parseIpv6(address);
    return groups === undefined ? undefined : classifyIpv6(groups);
  }
  return undefined;
}

function classifyIpv4(value: number): IpAddressClass {
  for (const range of IPV4_RANGES) {
    const mask = range.prefixLength === 0 ? 0 : (0xffffffff << (32 - range.prefixLength)) >>> 0;
    if ((value & mask) >>> 0 === range.base) return range.addressClass;
  }
  return 'public';
}

function classifyIpv6(groups: readonly number[]): IpAddressClass {
  const at = (index: number): number => groups[index] ?? 0;
  const embeddedIpv4 = (high: number, low: number): number => ((at(high) << 16) | at(low)) >>> 0;
  const zeroUpTo = (end: number): boolean => groups.slice(0, end).every((group) => group === 0);

  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && at(7) === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated but still routed by some stacks).
  if (zeroUpTo(5) && (at(5) === 0xffff || at(5) === 0)) return classifyIpv4(embeddedIpv4(6, 7));
  // NAT64 well-known prefix 64:ff9b::/96 reaches the embedded IPv4 address.
  if (at(0) === 0x64 && at(1) === 0xff9b && groups.slice(2, 6).every((group) => group === 0)) {
    return classifyIpv4(embeddedIpv4(6, 7));
  }
  // Local-use NAT64 (64:ff9b:1::/48) translates into a private network by definition.
  if (at(0) === 0x64 && at(1) === 0xff9b && at(2) === 1) return 'private';
  // 6to4 (2002::/16) carries the IPv4 address of its relay in the next 32 bits.
  if (at(0) === 0x2002) return classifyIpv4(embeddedIpv4(1, 2));
  if ((at(0) & 0xfe00) === 0xfc00) return 'unique_local';
  if ((at(0) & 0xffc0) === 0xfe80) return 'link_local';
  if ((at(0) & 0xffc0) === 0xfec0) return 'private';
  if ((at(0) & 0xff00) === 0xff00) return 'multicast';
  // Documentation (2001:db8::/32) and Teredo (2001::/32), whose embedded address is obfuscated.
  if (at(0) === 0x2001 && (at(1) === 0x0db8 || at(1) === 0)) return 'reserved';
  // Only 2000::/3 is allocated as global unicast; everything else is reserved.
  return (at(0) & 0xe000) === 0x2000 ? 'public' : 'reserved';
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((value, octet) => ((value << 8) | Number(octet)) >>> 0, 0);
}

/** The eight 16-bit groups of a valid IPv6 address (checked by `isIPv6` first). */
function parseIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  // A trailing dotted IPv4 part stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return undefined;
    const value = ipv4ToNumber(tail);
    text = `${text.slice(0, lastColon + 1)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...headGroups, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...restGroups];
  const values = groups.map((group) => Number.parseInt(group, 16));
  return values.length === 8 &&
    values.every((value) => Number.isInteger(value) && value >= 0 && value <= 0xffff)
    ? values
    : undefined;
}
