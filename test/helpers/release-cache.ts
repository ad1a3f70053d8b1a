// A release cache like the one a first online run leaves (~/.cache/k8ssandra), filled from the upstream
// files: with K8SSANDRA_CACHE_DIR pointing at it, --operator-version works on the bed without --manifests.
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { certManagerManifests, operatorManifests } from './cli.js';

export function seededReleaseCache(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'k8ssandra-cache-'));
  const operator = path.join(dir, 'k8ssandra-operator/v1.32.5');
  mkdirSync(operator, { recursive: true });
  for (const f of ['control-plane.yaml', 'data-plane.yaml']) copyFileSync(path.join(operatorManifests, f), path.join(operator, f));
  mkdirSync(path.join(dir, 'cert-manager/v1.18.5'), { recursive: true });
  copyFileSync(certManagerManifests, path.join(dir, 'cert-manager/v1.18.5/cert-manager.yaml'));
  return dir;
}
