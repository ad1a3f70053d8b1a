// The bed's settings (--k8s-version, --max-token-ttl): what a new bed and an existing bed get, bad
// values, and what they put into kwokctl's configuration. Pure: no bed needed.
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderConfig } from '../../testbed/kwokctl.js';
import { DEFAULT_SETTINGS, describeSettings, resolveSettings, type BedSettings } from '../../testbed/settings.js';

describe('resolveSettings', () => {
  it('gives a new bed what was asked, over the defaults', () => {
    expect(resolveSettings({}, undefined)).toEqual(DEFAULT_SETTINGS);
    expect(resolveSettings({ k8sVersion: undefined, maxTokenTtl: '24h' }, undefined)).toEqual({ k8sVersion: DEFAULT_SETTINGS.k8sVersion, maxTokenTtl: '24h' });
    expect(resolveSettings({ k8sVersion: 'v1.29.15' }, undefined)).toEqual({ k8sVersion: 'v1.29.15' });
  });

  it('keeps what an existing bed was made with, and refuses to change it with the way out', () => {
    const capped: BedSettings = { k8sVersion: 'v1.29.15', maxTokenTtl: '24h' };
    expect(resolveSettings({}, capped)).toEqual(capped);
    expect(resolveSettings({ maxTokenTtl: '24h', k8sVersion: 'v1.29.15' }, capped)).toEqual(capped);
    expect(() => resolveSettings({ maxTokenTtl: '48h' }, capped)).toThrow(
      'the running bed was made with --max-token-ttl 24h (asked: --max-token-ttl 48h); run `npm run testbed -- down` first to make it again');
    expect(() => resolveSettings({ maxTokenTtl: '24h' }, DEFAULT_SETTINGS)).toThrow('made with no --max-token-ttl (asked: --max-token-ttl 24h)');
    expect(() => resolveSettings({ k8sVersion: 'v1.34.4' }, capped)).toThrow('made with Kubernetes v1.29.15 (asked: --k8s-version v1.34.4)');
  });

  it.each([
    [{ maxTokenTtl: '24' }, '--max-token-ttl must be a duration in h, m and s such as 24h or 48h, not 24'],
    [{ maxTokenTtl: '1d' }, 'not 1d'],
    [{ maxTokenTtl: '' }, 'not '],
    [{ maxTokenTtl: '59m' }, "--max-token-ttl must be between 1h and 4294967296s (kube-apiserver's bounds), not 59m"],
    [{ k8sVersion: '1.29.15' }, '--k8s-version must be a Kubernetes release such as v1.34.4, not 1.29.15'],
    [{ k8sVersion: 'v1.29' }, 'not v1.29'],
  ])('refuses %j', (asked, message) => {
    expect(() => resolveSettings(asked, undefined)).toThrow(message);
  });

  it('accepts Go durations kube-apiserver accepts', () => {
    for (const ttl of ['1h', '24h', '48h', '90m', '1h30m', '3600s', '8760h']) expect(resolveSettings({ maxTokenTtl: ttl }, undefined).maxTokenTtl).toBe(ttl);
  });

  it('describes the settings in one line', () => {
    expect(describeSettings({ k8sVersion: 'v1.29.15', maxTokenTtl: '24h' })).toBe('Kubernetes v1.29.15, service-account tokens capped at 24h (--max-token-ttl)');
    expect(describeSettings(DEFAULT_SETTINGS)).toBe(`Kubernetes ${DEFAULT_SETTINGS.k8sVersion}, service-account tokens not capped`);
  });
});

describe('kwokctl configuration from the settings', () => {
  const apiserverArgs = (settings: BedSettings) => {
    const config = parse(renderConfig('dp1', '/bin-dir', settings));
    return { config, args: config.componentsPatches.find((p: { name: string }) => p.name === 'kube-apiserver').extraArgs as { key: string; value: string }[] };
  };

  it('caps tokens only when asked, and names the version for kwokctl', () => {
    const capped = apiserverArgs({ k8sVersion: 'v1.29.15', maxTokenTtl: '24h' });
    expect(capped.config.options.kubeVersion).toBe('v1.29.15');
    expect(capped.args).toContainEqual({ key: 'service-account-max-token-expiration', value: '24h' });
    const plain = apiserverArgs(DEFAULT_SETTINGS);
    expect(plain.config.options.kubeVersion).toBe(DEFAULT_SETTINGS.k8sVersion);
    expect(plain.args.map((a) => a.key)).not.toContain('service-account-max-token-expiration');
    // The loopback service range and the webhook plugins stay whatever the settings.
    expect(plain.args.map((a) => a.key)).toEqual(['service-cluster-ip-range', 'disable-admission-plugins']);
  });
});
