// The examples at the end of each command's --help: real invocations, CI usage included.

export const EXAMPLES = {
  program: `
Examples:
  k8ssandra check --contexts cp,dp1,dp2              # is everything ready for an install?
  k8ssandra install --contexts cp,dp1,dp2            # control plane in cp, data planes in dp1 and dp2
  k8ssandra status                                   # the installation at a glance

Exit codes: 0 ok, 1 internal, 2 usage, 3 checks failed, 4 timeout, 5 not ready, 6 unreachable, 7 conflict, 8 locked, 130 interrupted.
Run "k8ssandra <command> --help" for a command's flags and examples.`,

  install: `
Examples:
  # control plane in cp, data planes in dp1 and dp2
  k8ssandra install --contexts cp,dp1,dp2

  # CI: no prompts, JSON report, fail after 10 minutes (exit 0 only when ready)
  k8ssandra install --contexts cp,dp1,dp2 --yes -o json --timeout 10m > install.json

  # air-gapped: rendered release and cert-manager from local files
  k8ssandra install --contexts cp,dp1 --manifests ./k8ssandra-operator-v1.32.5/ --cert-manager-manifests ./cert-manager.yaml

  # see what would change, change nothing
  k8ssandra install --contexts cp,dp1,dp2 --dry-run`,

  register: `
Examples:
  # register dp3 with the control plane in cp
  k8ssandra register --contexts cp,dp3

  # CI: rotate every data plane's token (e.g. monthly)
  k8ssandra register --contexts cp,dp1,dp2 --rotate --token-ttl 90d --yes -o json`,

  upgrade: `
Examples:
  # see what an upgrade would add, change and remove in each cluster
  k8ssandra upgrade --contexts cp,dp1,dp2 --operator-version v1.32.5 --dry-run

  # CI: upgrade from rendered manifests (air-gapped), as JSON
  k8ssandra upgrade --contexts cp,dp1,dp2 --manifests ./k8ssandra-operator-v1.32.5 --yes -o json`,

  uninstall: `
Examples:
  # see what would be deleted, and what is kept
  k8ssandra uninstall --contexts cp,dp1,dp2 --dry-run

  # CI: remove the operator and registrations, keep CRDs and data
  k8ssandra uninstall --contexts cp,dp1,dp2 --yes -o json

  # remove one data plane, and its registration from the control plane in cp (which stays)
  k8ssandra uninstall --contexts dp2 --control-plane cp --yes`,

  check: `
Examples:
  # is everything ready for an install into cp, dp1 and dp2?
  k8ssandra check --contexts cp,dp1,dp2

  # CI gate: a private registry, internode and CQL only, JSON report (exit 3 when a pair cannot connect)
  k8ssandra check --contexts cp,dp1 --probe-image registry.example.com/mirror/busybox:1.37 --ports 7000,9042 -o json

  # preflight only, no probe pods
  k8ssandra check --contexts cp,dp1,dp2 --skip-routability`,

  status: `
Examples:
  # every context of the kubeconfig that runs the operator, and the data planes its ClientConfigs name
  k8ssandra status

  # CI: these clusters only, a JSON report, exit code 0 only when healthy
  k8ssandra status --contexts cp,dp1,dp2 -o json

  # wait until a new datacenter is ready
  k8ssandra status --watch --interval 10s`,

  'add-dc': `
Examples:
  # dc2 in dp2 (installed and registered first if needed), 3 nodes, ks1 and ks2 replicated 3 times there
  k8ssandra add-dc --cluster demo --dc dc2 --context dp2 --size 3 --replication ks1=3,ks2=3

  # see what would change, change nothing
  k8ssandra add-dc --cluster demo --dc dc2 --context dp2 --dry-run

  # CI: JSON report, do not wait for Cassandra
  k8ssandra add-dc --cluster demo --dc dc2 --context dp2 --yes -o json --no-wait`,

  'remove-dc': `
Examples:
  # what would be checked and removed; nothing changes
  k8ssandra remove-dc --cluster demo --dc dc2 --dry-run

  # take dc2 out of the replication of user keyspaces first (asks), then remove it and follow the decommission
  k8ssandra remove-dc --cluster demo --dc dc2 --alter-keyspaces

  # CI: JSON report; afterwards uninstall the data plane that ran only dc2
  k8ssandra remove-dc --cluster demo --dc dc2 --uninstall-data-plane --yes -o json`,

  render: `
Examples:
  # one folder per context, no cluster touched
  k8ssandra render --contexts cp,dp1,dp2 --out ./k8ssandra --manifests ./k8ssandra-operator-v1.32.5/

  # apply one folder yourself (or commit it for Argo CD / Flux)
  kubectl --context dp1 apply --server-side -f ./k8ssandra/dp1/

Secrets with tokens are not rendered: create them with "k8ssandra register" (or your secret manager)
before the ClientConfigs are applied.`,

  completion: `
Examples:
  source <(k8ssandra completion bash)                 # add to ~/.bashrc
  source <(k8ssandra completion zsh)                  # add to ~/.zshrc
  k8ssandra completion fish > ~/.config/fish/completions/k8ssandra.fish`,
} as const;
