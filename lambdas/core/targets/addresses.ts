/**
 * Which IP addresses a connection target may reach: public ones, plus the networks an operator
 * allows. Loopback, private, link-local (the instance metadata service at 169.254.169.254 and
 * fd00:ec2::254), carrier-grade NAT, unique-local, multicast and reserved ranges are refused, also
 * when wrapped in an IPv6 form (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
 */
import { BlockList, isIP } from 'node:net';

const BLOCKED_V4: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['192.88.99.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const BLOCKED_V6: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['100::', 64],
  // Forms that carry an IPv4 address the checks below cannot all unwrap: refused outright.
  ['64:ff9b:1::', 48],
  ['2001::', 32],
  ['::ffff:0:0:0', 96],
];

const blocked = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, 'ipv6');

/**
 * The IPv4 address inside a canonical IPv6 one that carries it (mapped, compatible, NAT64, 6to4);
 * undefined for an IPv4 address. The canonical form spells the IPv4 part in hex, never dotted.
 */
function embeddedV4(ip: string): string | undefined {
  const lower = ip.toLowerCase();
  const hex = /^(?:::ffff:|::ffff:0:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) return hexToV4(hex[1]!, hex[2]!);
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower);
  if (sixToFour) return hexToV4(sixToFour[1]!, sixToFour[2]!);
  return undefined;
}

function hexToV4(high: string, low: string): string {
  const h = Number.parseInt(high, 16);
  const l = Number.parseInt(low, 16);
  return [h >> 8, h & 255, l >> 8, l & 255].join('.');
}

export class AddressPolicy {
  private readonly allowed = new BlockList();

  /** `allowedNetworks`: CIDRs (`127.0.0.0/8`, `::1/128`, `10.1.0.0/16`) reachable although refused by default. */
  constructor(readonly allowedNetworks: readonly string[] = []) {
    for (const cidr of allowedNetworks) {
      const [net, bits] = cidr.split('/');
      // Stryker disable next-line StringLiteral: split always yields a first element, so the fallback is never used
      const family = isIP(net ?? '');
      const prefix = Number(bits ?? (family === 6 ? 128 : 32));
      if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
        throw new Error(`'${cidr}' is not a CIDR network (e.g. 10.0.0.0/8 or fd00::/8).`);
      }
      this.allowed.addSubnet(net!, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /** Why the address may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined {
    const family = isIP(address);
    if (family === 0) return `'${address.slice(0, 60)}' is not an IP address`;
    // One spelling per IPv6 address (WHATWG URL serialisation), so `0:0:0:0:0:ffff:7f00:1` is `::ffff:7f00:1`.
    const ip = family === 6 ? new URL(`http://[${address}]`).hostname.slice(1, -1) : address;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (this.allowed.check(ip, type)) return undefined;
    const v4 = embeddedV4(ip);
    if (v4 !== undefined && this.allowed.check(v4, 'ipv4')) return undefined;
    if (blocked.check(ip, type) || (v4 !== undefined && blocked.check(v4, 'ipv4'))) {
      return `${ip} is a loopback, private, link-local or reserved address`;
    }
    return undefined;
  }
}
