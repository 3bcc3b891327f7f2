#!/usr/bin/env bash
# End to end on a local kind cluster: what `make e2e STACK=dev` runs, on a laptop and in the e2e-kind
# workflow alike. Creates the kind cluster the dev stack's context names (kind-llmstack) unless it
# exists, runs `pulumi up` with the policy pack, checks the deployment from the outside with
# `make verify` through a port-forward, then destroys the stack. Logs and cluster state go to
# build/e2e-logs/ whatever happens. KEEP=1 keeps the stack and the cluster for a look afterwards.
#
# Needs: kind, kubectl, the Pulumi CLI, jq, docker. A Pulumi backend: PULUMI_BACKEND_URL (the
# workflow uses a local file backend) or `pulumi login`; PULUMI_CONFIG_PASSPHRASE for a new stack.
set -euo pipefail
stack="${1:-dev}"
cluster="llmstack"
logs="build/e2e-logs"
mkdir -p "$logs"

for tool in kind kubectl pulumi jq docker; do
  command -v "$tool" >/dev/null || { echo "e2e: $tool is needed and not on the PATH" >&2; exit 1; }
done

collect() {
  kubectl get pods,svc,pvc,jobs,events -A -o wide > "$logs/cluster.txt" 2>&1 || true
  kubectl describe pods -A > "$logs/pods-described.txt" 2>&1 || true
  for ns in llm envoy-gateway-system envoy-ai-gateway-system cert-manager; do
    kubectl -n "$ns" logs --all-containers --prefix --tail=500 -l app.kubernetes.io/part-of=llmstack > "$logs/logs-$ns.txt" 2>&1 || true
  done
  pulumi stack export --stack "$stack" > "$logs/state.json" 2>/dev/null || true
}

cleanup() {
  status=$?
  collect
  [ -n "${forward:-}" ] && kill "$forward" 2>/dev/null || true
  if [ "${KEEP:-0}" != "1" ]; then
    pulumi destroy --yes --stack "$stack" --skip-preview > "$logs/destroy.txt" 2>&1 || echo "e2e: pulumi destroy failed (see $logs/destroy.txt)" >&2
    kind delete cluster --name "$cluster" > /dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT

case "${PULUMI_BACKEND_URL:-}" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac

kind get clusters 2>/dev/null | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 180s
pulumi stack select --create "$stack"
pulumi up --yes --stack "$stack" --policy-pack policy 2>&1 | tee "$logs/up.txt"

kubectl -n envoy-gateway-system port-forward svc/llmstack-gateway 8443:443 > "$logs/port-forward.txt" 2>&1 &
forward=$!
for _ in $(seq 30); do (echo > /dev/tcp/127.0.0.1/8443) 2>/dev/null && break; sleep 2; done
eval "$(pulumi stack output howToTrustTheCa --stack "$stack")"
make verify STACK="$stack" ARGS="--connect-to 127.0.0.1:8443 --ca llmstack-ca.crt" 2>&1 | tee "$logs/verify.txt"
