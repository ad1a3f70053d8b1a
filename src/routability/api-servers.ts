// The control plane's reach to each data plane's API server: which candidate address the registration
// holds (the first that the control plane's pods reached) and the checks that say so.
import { check, type Check } from '../checks/catalog.js';
import type { ApiServerReach } from '../report/model.js';
import { chooseAddress, type AddressCandidate } from '../registration/api-server-address.js';

/** A data plane's candidates, best first (registration/api-server-address.ts). */
export interface ApiServerCandidates { context: string; server: string; candidates: AddressCandidate[] }

/** Marks the address each data plane's registration will hold: its first candidate that was reached. */
export function markUsed(reach: ApiServerReach[], dataPlanes: ApiServerCandidates[]): ApiServerReach[] {
  const used = new Set(dataPlanes.map((dp) => {
    const chosen = chooseAddress(dp.candidates, (a) => reach.some((r) => r.to === dp.context && r.address === a && r.ok));
    return chosen && `${dp.context} ${chosen.address}`;
  }));
  return reach.map((r) => (used.has(`${r.to} ${r.address}`) ? { ...r, used: true } : r));
}

const describeSource = (source: string) => (source === 'advertised' ? 'the address it advertises in the default/kubernetes EndpointSlice'
  : source === 'kubeconfig' ? 'the kubeconfig\'s' : source === 'api-server flag' ? '--api-server' : `${source}'s in-network name`);

/** One API-SERVER-REACHABLE check per data plane: pass with the address used, or fail naming what was tried. */
export function apiServerChecks(reach: ApiServerReach[], dataPlanes: ApiServerCandidates[]): Check[] {
  return dataPlanes.map((dp) => {
    const tried = reach.filter((r) => r.to === dp.context);
    const from = tried[0]?.from ?? 'the control plane';
    const used = tried.find((r) => r.used);
    if (used) {
      const instead = used.source === 'kubeconfig' || used.source === 'api-server flag' ? ''
        : `; the kubeconfig's ${dp.server} is host-local, so the registration holds ${used.address} (${describeSource(used.source)})`;
      return check('API-SERVER-REACHABLE', 'pass', `${dp.context}: pods in ${from} reach its API server at ${used.address}`
        + `${used.latencyMs === undefined ? '' : ` (${used.latencyMs}ms)`}${instead}`, { context: dp.context });
    }
    const what = tried.map((r) => `${r.address} (${r.error ?? 'error'})`).join(', ');
    const flagged = tried.some((r) => r.source === 'api-server flag');
    return check('API-SERVER-REACHABLE', 'fail', `${dp.context}: pods in ${from} cannot reach its API server at ${tried.length > 1 ? `any of ${what}` : what || dp.server}`, {
      context: dp.context,
      hint: `${flagged ? 'the address given with --api-server is not reachable from the control plane\'s pods: ' : ''}pass --api-server ${dp.context}=https://ADDRESS:PORT `
        + `with an address that pods in ${from} reach (a load balancer or endpoint in a network both clusters share), and allow TCP to it from ${from}'s pods and nodes`,
    });
  });
}
