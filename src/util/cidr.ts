import ipaddr from 'ipaddr.js';

/** Whether two CIDRs (IPv4 or IPv6) share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [ipA, lenA] = ipaddr.parseCIDR(a);
  const [ipB, lenB] = ipaddr.parseCIDR(b);
  if (ipA.kind() !== ipB.kind()) return false;
  // Two prefixes overlap exactly when the shorter one contains the other's network address.
  return lenA <= lenB ? ipB.match(ipA, lenA) : ipA.match(ipB, lenB);
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  return ipaddr.isValid(h) && ipaddr.parse(h).range() === 'loopback';
}

export function ipInCidr(ip: string, cidr: string): boolean {
  try {
    const addr = ipaddr.parse(ip);
    const [net, len] = ipaddr.parseCIDR(cidr);
    return addr.kind() === net.kind() && addr.match(net, len);
  } catch {
    return false;
  }
}
