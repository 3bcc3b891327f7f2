"""NetworkPolicies of the serving namespace: nothing gets in or out unless listed here.

- every pod: no ingress, no egress (default deny, both directions);
- vLLM pods: ingress on the API port from the gateway's Envoy pods and from Prometheus only;
  egress to cluster DNS only (weights come from the read-only cache, HF_HUB_OFFLINE=1); the pods of
  a model that rests at zero take requests from KEDA's interceptor instead of the gateway;
- cache populate Job pods: egress to cluster DNS and to HTTPS on public addresses (Hugging Face);
- cert-manager's ACME HTTP-01 solver pods (only with that challenge): ingress from the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from ..labels import INSTANCE_LABEL
from . import cache, vllm

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# CoreDNS as kubeadm, kind and EKS deploy it: Service kube-dns, pods labelled k8s-app=kube-dns.
CLUSTER_DNS_NAMESPACE = "kube-system"
CLUSTER_DNS_LABELS = {"k8s-app": "kube-dns"}
DNS_PORT = 53
HTTPS_PORT = 443
# Addresses that are never Hugging Face: private ranges, carrier-grade NAT, link-local (the cloud
# metadata service) and loopback. The populate Job reaches only the rest, on 443.
NOT_INTERNET = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8")


@dataclass(frozen=True)
class Peer:
    """Pods of one namespace, selected by labels."""

    namespace: str
    pod_labels: dict[str, str] = field(default_factory=dict)

    def selector(self) -> dict:
        return {
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: self.namespace}},
            "podSelector": {"matchLabels": dict(self.pod_labels)},
        }


CLUSTER_DNS = Peer(CLUSTER_DNS_NAMESPACE, CLUSTER_DNS_LABELS)


def _policy(name: str, namespace: Any, labels: dict, pod_labels: dict, spec: dict) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"podSelector": {"matchLabels": pod_labels} if pod_labels else {}, **spec},
    }


def dns_egress() -> dict:
    return {"to": [CLUSTER_DNS.selector()],
            "ports": [{"protocol": protocol, "port": DNS_PORT} for protocol in ("UDP", "TCP")]}


def default_deny(namespace: Any, labels: dict) -> dict:
    return _policy("default-deny", namespace, labels, {}, {"policyTypes": ["Ingress", "Egress"]})


def vllm_policy(namespace: Any, labels: dict, *, gateway: Peer, scrapers: Optional[Peer],
                resting: Sequence[str] = (), name: str = "vllm", pickers: Optional[dict] = None) -> dict:
    """Selects every vLLM pod of the namespace by the label all models share, but those of the
    `resting` models (their callers differ: see `serving_policies`). `pickers`: labels of the endpoint
    pickers beside them, which read the pods' metrics on the same port."""
    sources = [gateway, *([scrapers] if scrapers is not None else [])]
    port = [{"protocol": "TCP", "port": vllm.PORT}]
    local = [{"from": [{"podSelector": {"matchLabels": dict(pickers)}}], "ports": port}] if pickers else []
    selector: dict = {"matchLabels": {"app.kubernetes.io/name": vllm.COMPONENT}}
    if resting:
        selector["matchExpressions"] = [{"key": INSTANCE_LABEL, "operator": "NotIn", "values": sorted(resting)}]
    return _policy(name, namespace, labels, {}, {
        "podSelector": selector,
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [*({"from": [source.selector()], "ports": port} for source in sources), *local],
        "egress": [dns_egress()],
    })


def resting_vllm_policy(namespace: Any, labels: dict, *, interceptor: Peer, scrapers: Optional[Peer],
                        resting: Sequence[str]) -> dict:
    """The pods of models that rest at zero: called by KEDA's interceptor only (it holds their requests
    while they start), never by the gateway directly."""
    policy = vllm_policy(namespace, labels, gateway=interceptor, scrapers=scrapers, name="vllm-resting")
    policy["spec"]["podSelector"]["matchExpressions"] = [{"key": INSTANCE_LABEL, "operator": "In", "values": sorted(resting)}]
    return policy


def populate_policy(namespace: Any, labels: dict) -> dict:
    internet = {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NOT_INTERNET)}}
    return _policy("model-cache-populate", namespace, labels, {"app.kubernetes.io/name": cache.COMPONENT}, {
        "policyTypes": ["Ingress", "Egress"],
        "egress": [dns_egress(), {"to": [internet], "ports": [{"protocol": "TCP", "port": HTTPS_PORT}]}],
    })


def acme_solver_policy(namespace: Any, labels: dict, *, gateway: Peer, solver_labels: dict, port: int) -> dict:
    return _policy("acme-http01-solver", namespace, labels, solver_labels, {
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [gateway.selector()], "ports": [{"protocol": "TCP", "port": port}]}],
    })


def serving_policies(namespace: Any, labels: dict, *, gateway: Peer, scrapers: Optional[Peer],
                     acme_solver: Optional[tuple[dict, int]] = None, resting: Sequence[str] = (),
                     interceptor: Optional[Peer] = None, pickers: Optional[dict] = None) -> list[dict]:
    """`acme_solver`: the solver pods' labels and port, when certificates come by HTTP-01. `resting`:
    models that rest at zero, called by `interceptor` (KEDA's) instead of the gateway. `pickers`:
    labels of the endpoint pickers beside the models, which read their metrics (the pickers' own
    policy is endpoint_picker.network_policy)."""
    policies = [default_deny(namespace, labels),
                vllm_policy(namespace, labels, gateway=gateway, scrapers=scrapers, resting=resting, pickers=pickers),
                populate_policy(namespace, labels)]
    if resting:
        if interceptor is None:
            raise ValueError("models rest at zero: the interceptor that calls them must be given")
        policies.append(resting_vllm_policy(namespace, labels, interceptor=interceptor, scrapers=scrapers, resting=resting))
    if acme_solver is not None:
        solver_labels, port = acme_solver
        policies.append(acme_solver_policy(namespace, labels, gateway=gateway, solver_labels=solver_labels, port=port))
    return policies
