#!/usr/bin/env bash
# Builds the test bed's binaries from the Go module proxy, once, into a cache outside the repo.
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler (one Kubernetes version, TESTBED_K8S_VERSION),
# kwok, kwokctl. Skips every binary that is already present. Prints one line per binary built (with its
# elapsed time) to stderr, keeps the Go tool's own output (`go: downloading ...`) in a log file it names,
# and prints the bin folder to stdout.
set -euo pipefail

K8S_VERSION="${TESTBED_K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${TESTBED_ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${TESTBED_KWOK_VERSION:-v0.8.0}"
CACHE="${TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k8ssandra-testbed}"
BIN="$CACHE/$K8S_VERSION/bin"
LOG="$CACHE/$K8S_VERSION/build.log"
WORK="$CACHE/build"
[[ "$K8S_VERSION" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || { echo "TESTBED_K8S_VERSION must look like v1.34.4, not $K8S_VERSION" >&2; exit 2; }
mkdir -p "$BIN" "$WORK"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
START=$SECONDS
say() { printf '[testbed build +%ds] %s\n' "$((SECONDS - START))" "$*" >&2; }
have() { [ -x "$BIN/$1" ]; }
# The Go tool's output goes to the log; on failure its last lines are shown with the log's name.
quiet() {
  printf '\n$ %s\n' "$*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || { say "failed: $*; the last lines of $LOG:"; tail -n 25 "$LOG" >&2; exit 1; }
}
# One line per binary: what was built and how long it took.
built() { say "$1 $2 built in $((SECONDS - $3)) s"; }

# One build at a time: a second caller (another `up`, a test run) waits here, then finds it all cached.
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.build.lock"
  flock -n 9 || { say "another build is running; waiting for it"; flock 9; }
fi

# KUBEBUILDER_ASSETS: a folder of ready binaries (e.g. envtest's) is used for what it holds.
if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -d "$KUBEBUILDER_ASSETS" ]; then
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kwokctl; do
    if [ -x "$KUBEBUILDER_ASSETS/$b" ] && ! have "$b"; then
      ln -sf "$KUBEBUILDER_ASSETS/$b" "$BIN/$b"; say "using $b from KUBEBUILDER_ASSETS"
    fi
  done
fi

missing=()
for b in etcd kwok kwokctl kube-apiserver kube-controller-manager kube-scheduler; do have "$b" || missing+=("$b"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "building ${missing[*]} for Kubernetes $K8S_VERSION into $BIN (cold: ~10 min on 2 cores); Go's output: $LOG"
fi

build_kubernetes() {
  have kube-apiserver && have kube-controller-manager && have kube-scheduler && return
  local mod="$WORK/kubernetes-$K8S_VERSION" minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local staging="v0.${K8S_VERSION#v1.}" t=$SECONDS
  mkdir -p "$mod"
  if [ ! -f "$mod/go.sum" ]; then
    local gomod
    # Its JSON (stdout) names its go.mod; an unknown version is an "Error" in that JSON, kept in the log.
    gomod=$(cd "$WORK" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" 2>>"$LOG" | tee -a "$LOG" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p') || true
    [ -f "$gomod" ] || { say "could not download k8s.io/kubernetes@$K8S_VERSION (is it a released version?); see $LOG"; exit 1; }
    {
      printf 'module testbed.local/kubernetes\n\ngo 1.24.0\n\ngodebug default=go1.24\n\nrequire k8s.io/kubernetes %s\n\n' "$K8S_VERSION"
      grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$gomod" | awk '{print $1}' | sort -u |
        while read -r m; do printf 'replace %s => %s %s\n' "$m" "$m" "$staging"; done
    } > "$mod/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler"\n)\n' > "$mod/tools.go"
    (cd "$mod" && quiet go mod tidy)
    say "k8s.io/kubernetes $K8S_VERSION resolved (staging modules at $staging) in $((SECONDS - t)) s"
  fi
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    have "$b" && continue
    t=$SECONDS
    (cd "$mod" && quiet go build -trimpath -tags selinux,notest -ldflags "$ld" -o "$BIN/$b.tmp" "k8s.io/kubernetes/cmd/$b")
    mv "$BIN/$b.tmp" "$BIN/$b"
    built "$b" "$K8S_VERSION" "$t"
  done
}

build_etcd() {
  have etcd && return
  local mod="$WORK/etcd-$ETCD_VERSION" t=$SECONDS
  mkdir -p "$mod"
  if [ ! -f "$mod/go.sum" ]; then
    printf 'module testbed.local/etcd\n\ngo 1.24\n' > "$mod/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > "$mod/tools.go"
    (cd "$mod" && quiet go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && quiet go mod tidy)
  fi
  (cd "$mod" && quiet go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$BIN/etcd.tmp" "$BIN/etcd"
  built etcd "$ETCD_VERSION" "$t"
}

build_kwok() {
  local t
  for b in kwok kwokctl; do
    have "$b" && continue
    t=$SECONDS
    GOFLAGS= GOBIN="$BIN" quiet go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/$b@$KWOK_VERSION"
    built "$b" "$KWOK_VERSION" "$t"
  done
}

build_etcd
build_kwok
build_kubernetes
if [ ${#missing[@]} -gt 0 ]; then say "ready: $BIN"; fi
echo "$BIN"
