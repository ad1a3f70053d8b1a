// Names and address plan of the bed's clusters. Cluster index i: cp = 0, dp1 = 1, dp2 = 2, ...
// Every address is in 127.0.0.0/8 so that nothing the bed's API servers dial can leave the machine,
// and the ranges of two clusters never overlap:
//   pod CIDR      127.(20+i).S.0/24   (the node's spec.podCIDR and kwok's --cidr)
//   service CIDR  127.(100+i).0.0/16  (kube-apiserver --service-cluster-ip-range)
// S is the bed's slot, 0 unless another bed (another checkout of the repo) already runs on the machine:
// two beds with the same pod IPs would bind each other's listener addresses.
import { readFileSync } from 'node:fs';
import { slotPath } from './paths.js';

export const NODE_NAME = 'kwok-node-0';
export const MAX_CLUSTERS = 80; // keeps 20+i below 100+0: pod and service ranges stay apart

export function contextName(index: number): string {
  return index === 0 ? 'cp' : `dp${index}`;
}

export function clusterIndex(context: string): number {
  if (context === 'cp') return 0;
  const m = /^dp([1-9]\d*)$/.exec(context);
  if (!m) throw new Error(`not a test bed context: ${context} (expected cp, dp1, dp2, ...)`);
  return Number(m[1]);
}

/** kwokctl's cluster name for a context; kwokctl itself prefixes "kwok-" to its own context names. */
export function kwokClusterName(context: string): string {
  return `k8ssandra-${context}`;
}

export function contextOfKwokCluster(kwokName: string): string | undefined {
  const m = /^k8ssandra-(.+)$/.exec(kwokName);
  if (!m) return undefined;
  try {
    clusterIndex(m[1]!);
    return m[1];
  } catch {
    return undefined;
  }
}

/** The bed's slot: TESTBED_SLOT, else what `up` recorded in .testbed/slot, else 0. */
export function bedSlot(): number {
  let value = process.env.TESTBED_SLOT;
  if (value === undefined) {
    try {
      value = readFileSync(slotPath, 'utf8').trim();
    } catch {
      return 0;
    }
  }
  const slot = Number(value);
  if (!Number.isInteger(slot) || slot < 0 || slot > 255) throw new Error(`test bed slot must be 0..255, not ${value}`);
  return slot;
}

export function podCidr(context: string): string {
  return `127.${20 + clusterIndex(context)}.${bedSlot()}.0/24`;
}

export function serviceCidr(context: string): string {
  return `127.${100 + clusterIndex(context)}.0.0/16`;
}

/** The bed context whose pod CIDR holds this IPv4 address, if any. */
export function contextOfPodIp(ip: string): string | undefined {
  const m = /^127\.(\d+)\.(\d+)\.\d+$/.exec(ip);
  if (!m || Number(m[2]) !== bedSlot()) return undefined;
  const i = Number(m[1]) - 20;
  return i >= 0 && i < MAX_CLUSTERS ? contextName(i) : undefined;
}

export function isLoopbackIPv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
