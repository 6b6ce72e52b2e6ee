import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * What kind of network an IP address belongs to, for the outbound request guard. Only `public`
 * is reachable by default; `loopback` and `private` also with PARLEY_ALLOW_PRIVATE_NETWORK=true;
 * the rest never (link-local holds the cloud metadata service, and multicast, broadcast and
 * reserved ranges are never an HTTP server).
 */
export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'multicast' | 'broadcast' | 'unspecified' | 'reserved';

export interface AddressClass {
  kind: AddressKind;
  /** The special-purpose range it fell in (`10.0.0.0/8`), for error messages; absent for public addresses. */
  range?: string;
  /** Set when the IPv4 address was found inside an IPv6 one (`::ffff:127.0.0.1`, `64:ff9b::a00:1`). */
  embeddedIPv4?: string;
}

type Range = [network: string, prefix: number, kind: Exclude<AddressKind, 'public'>];

// The IANA IPv4 special-purpose registry, minus nothing that could reach a host of ours.
const IPV4_RANGES: Range[] = [
  ['0.0.0.0', 8, 'unspecified'], // "this network": 0.0.0.0 connects to the local host on Linux
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'], // carrier-grade NAT, often a cloud VPC's own addresses
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'], // includes 169.254.169.254, the cloud metadata service
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // documentation
  ['192.88.99.0', 24, 'reserved'], // deprecated 6to4 relays
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'], // documentation
  ['203.0.113.0', 24, 'reserved'], // documentation
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'], // before 240/4, which contains it
  ['240.0.0.0', 4, 'reserved'],
];

// Inside 2000::/3 (global unicast); everything outside it that is not listed here is unallocated.
const IPV6_RANGES: Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved'], // deprecated IPv4-compatible addresses
  ['64:ff9b:1::', 48, 'private'], // local-use NAT64: translates to the operator's own addresses
  ['100::', 64, 'reserved'], // discard-only
  ['2001::', 32, 'reserved'], // Teredo: the IPv4 address inside is obfuscated, so it cannot be vetted
  ['2001:2::', 48, 'reserved'], // benchmarking
  ['2001:10::', 28, 'reserved'], // deprecated ORCHID
  ['2001:db8::', 32, 'reserved'], // documentation
  ['3fff::', 20, 'reserved'], // documentation
  ['5f00::', 16, 'reserved'], // SRv6 segment identifiers
  ['fc00::', 7, 'private'], // unique local
  ['fec0::', 10, 'private'], // deprecated site-local
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
];

interface CompiledRange {
  list: BlockList;
  range: string;
  kind: Exclude<AddressKind, 'public'>;
}

const compile = (ranges: Range[], family: 'ipv4' | 'ipv6'): CompiledRange[] =>
  ranges.map(([network, prefix, kind]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { list, range: `${network}/${prefix}`, kind };
  });

const IPV4 = compile(IPV4_RANGES, 'ipv4');
const IPV6 = compile(IPV6_RANGES, 'ipv6');
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');

/** IPv6 prefixes that carry an IPv4 address the packets end up at: the IPv4 address decides. */
const EMBEDDING: { network: string; prefix: number; ipv4At: number }[] = [
  { network: '::ffff:0:0', prefix: 96, ipv4At: 12 }, // IPv4-mapped: a dual-stack socket connects to the IPv4 address
  { network: '64:ff9b::', prefix: 96, ipv4At: 12 }, // well-known NAT64 prefix
  { network: '2002::', prefix: 16, ipv4At: 2 }, // 6to4
];
const EMBEDDED = EMBEDDING.map((e) => {
  const list = new BlockList();
  list.addSubnet(e.network, e.prefix, 'ipv6');
  return { list, ipv4At: e.ipv4At, range: `${e.network}/${e.prefix}` };
});

/** Classifies an IPv4 or IPv6 address (no brackets, no zone); throws on anything that is not one. */
export function classifyAddress(address: string): AddressClass {
  if (isIPv4(address)) return classifyIPv4(address);
  if (!isIPv6(address)) throw new TypeError(`${JSON.stringify(address)} is not an IP address`);
  for (const embedding of EMBEDDED) {
    if (!embedding.list.check(address, 'ipv6')) continue;
    const bytes = ipv6Bytes(address);
    const ipv4 = bytes.slice(embedding.ipv4At, embedding.ipv4At + 4).join('.');
    const inner = classifyIPv4(ipv4);
    return inner.kind === 'public' ? { kind: 'public', embeddedIPv4: ipv4 } : { ...inner, embeddedIPv4: ipv4 };
  }
  const special = IPV6.find((r) => r.list.check(address, 'ipv6'));
  if (special) return { kind: special.kind, range: special.range };
  if (GLOBAL_UNICAST.check(address, 'ipv6')) return { kind: 'public' };
  return { kind: 'reserved', range: 'outside 2000::/3 (not global unicast)' };
}

function classifyIPv4(address: string): AddressClass {
  const special = IPV4.find((r) => r.list.check(address, 'ipv4'));
  return special ? { kind: special.kind, range: special.range } : { kind: 'public' };
}

/**
 * The 16 bytes of a valid IPv6 address. The WHATWG URL parser first rewrites it in canonical hex
 * form (a dotted IPv4 tail becomes two hex words), so only `::` is left to expand.
 */
function ipv6Bytes(address: string): number[] {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.includes('::') ? canonical.split('::') : [canonical, ''];
  const words = (part: string) => (part === '' ? [] : part.split(':').map((word) => parseInt(word, 16)));
  const before = words(head);
  const after = words(tail);
  const all = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  return all.flatMap((word) => [word >> 8, word & 0xff]);
}
