// Names and address plan of the bed's clusters. Cluster index i: cp = 0, dp1 = 1, dp2 = 2, ...
// Every address is in 127.0.0.0/8 so that nothing the bed's API servers dial can leave the machine,
// and the ranges of two clusters never overlap:
//   pod CIDR      127.(20+i).S.0/24   (the node's spec.podCIDR and kwok's --cidr)
//   service CIDR  127.(100+i).0.0/16  (kube-apiserver --service-cluster-ip-range)
//   ports         20000 + 200*S + 10*i + c on 127.0.0.1 (c: one digit per component, see PORT_OFFSETS)
// S is the bed's slot, 0 unless another bed (another checkout of the repo) already runs on the machine:
// two beds with the same pod IPs would bind each other's listener addresses, and two beds whose
// kwokctl picks ports at the same moment would pick the same ones (kwokctl scans down from 32767).
import { readFileSync } from 'node:fs';
import { slotPath } from './paths.js';

export const NODE_NAME = 'kwok-node-0';
/** Clusters per bed: each has a block of PORTS_PER_CLUSTER ports inside its bed's block. */
export const MAX_CLUSTERS = 20;
/**
 * Every port a bed listens on lies in [PORT_BASE, PORT_BASE + PORTS_PER_BED * (MAX_SLOT + 1)) =
 * 20000-31999: below Linux's ephemeral range (32768-60999, where outgoing connections and port-0
 * listeners get their ports) and below 32767, where kwokctl's own port search starts (beds made by
 * older code of this repo, and other kwokctl users, take ports from 32766 downwards).
 */
export const PORT_BASE = 20_000;
export const PORTS_PER_CLUSTER = 10;
export const PORTS_PER_BED = PORTS_PER_CLUSTER * MAX_CLUSTERS;
export const MAX_SLOT = 59;

/** The port of each component of a cluster: its offset in the cluster's block (keys are kwokctl's option names). */
export const PORT_OFFSETS = {
  kubeApiserverPort: 0,
  etcdPort: 1,
  etcdPeerPort: 2,
  kubeControllerManagerPort: 3,
  kubeSchedulerPort: 4,
  kwokControllerPort: 5,
} as const;
export type ClusterPorts = Record<keyof typeof PORT_OFFSETS, number>;

export function contextName(index: number): string {
  return index === 0 ? 'cp' : `dp${index}`;
}

export function clusterIndex(context: string): number {
  if (context === 'cp') return 0;
  const m = /^dp([1-9]\d*)$/.exec(context);
  if (!m || Number(m[1]) >= MAX_CLUSTERS) throw new Error(`not a test bed context: ${context} (expected cp, dp1, ..., dp${MAX_CLUSTERS - 1})`);
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
  if (!Number.isInteger(slot) || slot < 0 || slot > MAX_SLOT) throw new Error(`test bed slot must be 0..${MAX_SLOT}, not ${value}`);
  return slot;
}

/** The ports the cluster of `context` listens on (127.0.0.1), fixed by the bed's slot and the cluster's index. */
export function clusterPorts(context: string, slot = bedSlot()): ClusterPorts {
  const first = PORT_BASE + PORTS_PER_BED * slot + PORTS_PER_CLUSTER * clusterIndex(context);
  return Object.fromEntries(Object.entries(PORT_OFFSETS).map(([name, offset]) => [name, first + offset])) as ClusterPorts;
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
