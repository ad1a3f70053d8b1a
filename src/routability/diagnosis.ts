// The diagnosis: why a pair fails, from the results and the pod ranges, and the checks that say so.
import { check, type Check } from '../checks/catalog.js';
import type { RoutabilityReport } from '../report/model.js';
import type { CidrOverlap } from '../checks/preflight.js';
import { ipInCidr } from '../util/cidr.js';

export interface PodNetwork {
  /** Node pod CIDRs per context (preflight facts). */
  podCidrs: Map<string, string[]>;
  overlaps: CidrOverlap[];
  namespace: string;
}

const list = (xs: (string | number)[]) => xs.join(', ');

/** The most likely cause of a failing pair, and what to do about it, as a hint. */
export function diagnosePair(from: string, to: string, r: Pick<RoutabilityReport, 'pairs' | 'listeners'>, net: PodNetwork): string {
  const pairs = r.pairs.filter((p) => p.from === from && p.to === to);
  const back = r.pairs.filter((p) => p.from === to && p.to === from);
  const failing = pairs.filter((p) => !p.ok);
  const passing = pairs.filter((p) => p.ok);
  const errors = new Set(failing.map((p) => p.error));
  const overlap = net.overlaps.find((o) => (o.a === from && o.b === to) || (o.a === to && o.b === from));
  if (overlap) {
    return `the pod CIDRs of ${overlap.a} (${overlap.cidrA}) and ${overlap.b} (${overlap.cidrB}) overlap: ${from} keeps traffic for those addresses `
      + 'inside its own network. Give every cluster its own pod range (this cannot be fixed with routes)';
  }
  const toIp = r.listeners.find((l) => l.context === to)?.podIP;
  const inFrom = toIp ? (net.podCidrs.get(from) ?? []).find((c) => ipInCidr(toIp, c)) : undefined;
  if (inFrom) {
    return `${to}'s pod IP ${toIp} lies inside ${from}'s pod range ${inFrom}: the pod networks overlap. Give every cluster its own pod range`;
  }
  if (errors.has('no result') || errors.has('not reported') || [...errors].some((e) => e?.startsWith('probe '))) {
    return `the probe in ${from} gave no result for these targets: see the probe pod's events (kubectl get events -n ${net.namespace} --context ${from}) and run the check again`;
  }
  if (passing.length) {
    const ports = failing.map((p) => p.port);
    return `TCP ${list(ports)} is blocked from ${from} to ${to} while ${list(passing.map((p) => p.port))} pass: a firewall on the port. Allow TCP ${list(ports)} `
      + `from ${from}'s pod range to ${to}'s pod range (security groups, firewall rules, NetworkPolicy in namespace ${net.namespace})`;
  }
  if (back.length && back.every((p) => p.ok)) {
    return `${to} reaches ${from} but not the other way round: a firewall or security group that allows one direction only, or a missing return route`;
  }
  if (errors.size === 1 && errors.has('refused')) {
    return `${toIp ?? 'the pod IP'} refuses connections from ${from} on every port: the address is not ${to}'s pod as ${from} sees it `
      + '(NAT, or the same address in another network); pod IPs must be routable without NAT';
  }
  if (errors.size === 1 && errors.has('reset')) {
    return `connections from ${from} to ${to} are reset: a firewall rejects traffic between the two pod ranges; allow TCP ${list(failing.map((p) => p.port))}`;
  }
  return `no route from ${from}'s pods to ${to}'s pod IPs: put the clusters in one VPC or network, or peer their networks with routes for the pod ranges, `
    + `and allow TCP ${list(failing.map((p) => p.port))} between them; overlay pod networks (not routable outside their cluster) need a multi-cluster network`;
}

/** The verdicts: one ROUTABILITY failure per failing pair of clusters with its diagnosis, else one pass. */
export function routabilityChecks(r: Pick<RoutabilityReport, 'pairs' | 'listeners' | 'ports'>, net: PodNetwork): Check[] {
  const out: Check[] = [];
  for (const l of r.listeners) {
    const cidrs = net.podCidrs.get(l.context) ?? [];
    if (cidrs.length && !cidrs.some((c) => ipInCidr(l.podIP, c))) {
      out.push(check('POD-CIDR-OVERLAP', 'warn', `${l.context}: pod IP ${l.podIP} is outside the nodes' pod CIDRs (${list(cidrs)}); the overlap check compared incomplete ranges`,
        { context: l.context, hint: 'the CNI assigns pod IPs from other ranges (for example VPC subnets): make sure no two clusters share them' }));
    }
  }
  const seen = new Set<string>();
  for (const p of r.pairs) {
    const key = `${p.from}\u0000${p.to}`;
    if (p.ok || seen.has(key)) continue;
    seen.add(key);
    const failing = r.pairs.filter((q) => q.from === p.from && q.to === p.to && !q.ok);
    const ip = r.listeners.find((l) => l.context === p.to)?.podIP ?? p.target;
    out.push(check('ROUTABILITY', 'fail',
      `${p.from}: cannot reach ${p.to} (pod IP ${ip}) on TCP ${list(failing.map((q) => q.port))} (${list([...new Set(failing.map((q) => q.error ?? 'error'))])})`,
      { context: p.from, hint: diagnosePair(p.from, p.to, r, net) }));
  }
  if (!seen.size) {
    const n = new Set(r.listeners.map((l) => l.context)).size;
    out.push(check('ROUTABILITY', 'pass', `pod IPs are routable between all ${n} clusters on TCP ${list(r.ports)}`));
  }
  return out;
}
