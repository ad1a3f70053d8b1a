#!/usr/bin/env bash
# The main job on the local test bed: bring up cp, dp1, dp2, install into all three, show the status.
# The first run builds the test bed's Kubernetes binaries from the Go module proxy (10-20 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
UPSTREAM="${K8SSANDRA_UPSTREAM:-../shared/upstream}"

npm run --silent testbed -- up
export KUBECONFIG="$PWD/.testbed/kubeconfig"
k8ssandra() { node bin/k8ssandra.js "$@"; }

# The bed cannot download releases: install the real upstream release from local files.
k8ssandra install --contexts cp,dp1,dp2 --yes \
  --manifests "$UPSTREAM/k8ssandra-operator-v1.32.5" \
  --cert-manager-manifests "$UPSTREAM/cert-manager-v1.18.5/cert-manager-standin.yaml"
k8ssandra status --contexts cp,dp1,dp2
echo
echo "The bed keeps running: KUBECONFIG=$KUBECONFIG kubectl --context dp1 get pods -A; stop it with: npm run testbed -- down"
