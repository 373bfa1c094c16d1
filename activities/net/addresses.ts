/**
 * Which IP addresses the worker may fetch from. The worker runs inside a team's network with
 * its cloud credentials; a URL handed to it by a third party (the provider's output link)
 * must not reach loopback services, the private network or the cloud metadata endpoint.
 *
 * Pure: no DNS, no sockets. safe-http.ts applies this to every address it resolves and every
 * socket it connects.
 */
import { isIP, isIPv4 } from 'node:net';

/** Why an address is refused, and whether the local-development switch may allow it. */
export interface AddressVerdict {
  /** Human words: "loopback", "private (RFC 1918)", "cloud metadata", ... */
  kind: string;
  /** SEEDANCE_ALLOW_PRIVATE_NETWORK allows this kind (loopback, private, link-local). */
  privateNetwork: boolean;
}

interface Range4 {
  base: number;
  bits: number;
  verdict: AddressVerdict;
}

const v = (kind: string, privateNetwork: boolean): AddressVerdict => ({ kind, privateNetwork });
const METADATA = v('cloud metadata', false);

/**
 * IPv4 ranges that are not the public internet, most specific first. Metadata endpoints are
 * refused even with the local-development switch: nothing a provider links to lives there.
 */
const V4_RANGES: Range4[] = [
  ['169.254.169.254/32', METADATA], // AWS, GCP, Azure, OpenStack, DigitalOcean
  ['169.254.170.2/32', METADATA], // ECS task metadata
  ['100.100.100.200/32', METADATA], // Alibaba Cloud
  ['192.0.0.192/32', METADATA], // Oracle Cloud
  ['0.0.0.0/8', v('unspecified ("this network")', false)],
  ['10.0.0.0/8', v('private (RFC 1918)', true)],
  ['100.64.0.0/10', v('shared address space (CGNAT)', true)],
  ['127.0.0.0/8', v('loopback', true)],
  ['169.254.0.0/16', v('link-local', true)],
  ['172.16.0.0/12', v('private (RFC 1918)', true)],
  ['192.0.0.0/24', v('reserved (IETF protocol assignments)', false)],
  ['192.0.2.0/24', v('reserved (documentation)', false)],
  ['192.88.99.0/24', v('reserved (6to4 relay)', false)],
  ['192.168.0.0/16', v('private (RFC 1918)', true)],
  ['198.18.0.0/15', v('reserved (benchmarking)', false)],
  ['198.51.100.0/24', v('reserved (documentation)', false)],
  ['203.0.113.0/24', v('reserved (documentation)', false)],
  ['224.0.0.0/4', v('multicast', false)],
  ['240.0.0.0/4', v('reserved (incl. broadcast)', false)],
].map(([cidr, verdict]) => {
  const [ip, bits] = (cidr as string).split('/') as [string, string];
  return { base: v4ToInt(ip), bits: Number(bits), verdict: verdict as AddressVerdict };
});

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inRange4(n: number, r: Range4): boolean {
  if (r.bits === 0) return true;
  const size = 2 ** (32 - r.bits);
  return Math.floor(n / size) === Math.floor(r.base / size);
}

function classify4(n: number): AddressVerdict | undefined {
  return V4_RANGES.find((r) => inRange4(n, r))?.verdict;
}

/** The 8 groups of an IPv6 address (valid per net.isIPv6, zone id already removed). */
function v6Groups(ip: string): number[] {
  let text = ip;
  const tail: number[] = [];
  // A dotted IPv4 tail (::ffff:127.0.0.1) is two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4ToInt(dotted[1] as string);
    tail.push(Math.floor(n / 65536), n % 65536);
    text = text.slice(0, dotted.index);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const parse = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const gap = text.indexOf('::');
  let groups: number[];
  if (gap >= 0) {
    const head = parse(text.slice(0, gap));
    const rest = parse(text.slice(gap + 2));
    const fill = 8 - tail.length - head.length - rest.length;
    groups = [...head, ...new Array<number>(Math.max(0, fill)).fill(0), ...rest];
  } else {
    groups = parse(text);
  }
  return [...groups, ...tail];
}

function classify6(ip: string): AddressVerdict | undefined {
  const g = v6Groups(ip);
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const embedded4 = () => classify4(g6 * 65536 + g7);
  const firstSixZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (firstSixZero && g5 === 0) {
    if (g6 === 0 && g7 === 0) return v('unspecified', false);
    if (g6 === 0 && g7 === 1) return v('loopback', true);
    return v('reserved (IPv4-compatible IPv6)', false);
  }
  // IPv4-mapped (::ffff:a.b.c.d) reaches the IPv4 address itself: judge that.
  if (firstSixZero && g5 === 0xffff) return embedded4();
  // NAT64 (64:ff9b::a.b.c.d) reaches the embedded IPv4 address through the translator.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded4();
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return v('private (local-use NAT64)', true);
  // 6to4 (2002:aabb:ccdd::) embeds the IPv4 address in groups 1-2.
  if (g0 === 0x2002) return classify4(g1 * 65536 + g2);
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return v('reserved (discard)', false);
  if (g0 === 0x2001 && g1 === 0xdb8) return v('reserved (documentation)', false);
  if (g0 === 0xfd00 && g1 === 0xec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return METADATA;
  if ((g0 & 0xfe00) === 0xfc00) return v('private (IPv6 unique local)', true);
  if ((g0 & 0xffc0) === 0xfe80) return v('link-local', true);
  if ((g0 & 0xffc0) === 0xfec0) return v('private (IPv6 site-local)', true);
  if ((g0 & 0xff00) === 0xff00) return v('multicast', false);
  return undefined;
}

/**
 * Why `ip` is not a public internet address, or undefined when it is. Anything that is not
 * an IP address at all is refused too: this is only ever asked about resolved addresses.
 */
export function classifyAddress(ip: string): AddressVerdict | undefined {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const unzoned = bare.replace(/%.*$/, '');
  const family = isIP(unzoned);
  if (family === 0) return v('not an IP address', false);
  return isIPv4(unzoned) ? classify4(v4ToInt(unzoned)) : classify6(unzoned.toLowerCase());
}

/**
 * Why `ip` may not be fetched from under the local-development switch, or undefined when it
 * may: with the switch on, loopback, private and link-local addresses are allowed.
 */
export function refusedAddress(ip: string, allowPrivateNetwork: boolean): AddressVerdict | undefined {
  const verdict = classifyAddress(ip);
  if (!verdict || (verdict.privateNetwork && allowPrivateNetwork)) return undefined;
  return verdict;
}
