import { describe, expect, it } from 'vitest';
import { chooseControlPlane } from '../../src/kube/find-control-plane.js';

const cp = (namespace = 'k8ssandra-operator') => ({ namespace, mode: 'control-plane' as const, version: 'v1.32.5' });
const dp = { namespace: 'k8ssandra-operator', mode: 'data-plane' as const, version: 'v1.32.5' };

describe('finding the control plane', () => {
  it('the one context that runs the control-plane operator, whatever the others answer', () => {
    const found = chooseControlPlane([{ context: 'dp1', operators: [dp] }, { context: 'cp', operators: [cp()] }, { context: 'gone', error: 'connection refused' },
      { context: 'empty', operators: [] }], false);
    expect(found).toMatchObject({ context: 'cp', operator: { namespace: 'k8ssandra-operator' }, probed: 4 });
  });

  it('none: a usage error that counts what did not answer and asks for --control-plane', () => {
    const fn = () => chooseControlPlane([{ context: 'dp1', operators: [dp] }, { context: 'gone', error: 'timeout' }], false);
    expect(fn).toThrow(/no control plane found: none of the 1 reachable kubeconfig context\(s\).*\(1 did not answer: gone\)/);
    try { fn(); } catch (e: any) { expect(e.exit).toBe('usage'); expect(e.hint).toMatch(/--control-plane/); }
  });

  it('several: ambiguous, say which with --control-plane', () => {
    expect(() => chooseControlPlane([{ context: 'a', operators: [cp()] }, { context: 'b', operators: [cp('ops')] }], false))
      .toThrow('several contexts run a control plane: a (k8ssandra-operator), b (ops)');
  });

  it('--control-plane naming a data plane is refused with what it runs', () => {
    expect(() => chooseControlPlane([{ context: 'dp1', operators: [dp] }], true))
      .toThrow('context dp1 does not run the k8ssandra-operator control plane (it runs a data plane in k8ssandra-operator)');
    expect(chooseControlPlane([{ context: 'cp', operators: [cp()] }], true).context).toBe('cp');
  });
});
