"""KEDA's HTTP add-on, as the stack runs it: the interceptor that holds a request for a model at zero
replicas until KEDA has woken it, and the external scaler that tells KEDA the interceptor holds one.

Facts of chart keda-add-ons-http 0.15.0 (kedacore/charts c4b92e9e http-add-on/, app v0.15.0 4ea8a863;
values in tests/data/charts/): every name starts with the chart's name (no fullnameOverride); the
interceptor proxies on 8080 (Service `-interceptor-proxy`), answers the scaler on its admin port 9090
and serves Prometheus metrics on 2223 (pkg/observability/config.go), for which the chart makes no
Service; the scaler serves KEDA's external-scaler gRPC on 9090. The chart scales the interceptor with
a ScaledObject of its own, so KEDA's CRDs must exist first."""

from __future__ import annotations

import math
from typing import Any, Optional

from .catalog.charts import KEDA_HTTP_ADD_ON
from .cluster import SystemPlacement
from .manifests.network import Peer

NAMESPACE = KEDA_HTTP_ADD_ON.namespace
PREFIX = KEDA_HTTP_ADD_ON.name
PROXY_SERVICE, PROXY_PORT = f"{PREFIX}-interceptor-proxy", 8080
ADMIN_PORT = 9090
METRICS_SERVICE, METRICS_PORT, METRICS_PORT_NAME = f"{PREFIX}-interceptor-metrics", 2223, "metrics"
SCALER_SERVICE, SCALER_PORT = f"{PREFIX}-external-scaler", 9090
PROXY_HOST = f"{PROXY_SERVICE}.{NAMESPACE}.svc.cluster.local"
SCALER_ADDRESS = f"{SCALER_SERVICE}.{NAMESPACE}:{SCALER_PORT}"
"""What a ScaledObject's external-push trigger names (the chart's own ScaledObject uses this form)."""
SHUTDOWN_DELAY_SECONDS = 5
"""The interceptor's pause between its readiness failing and its listener closing (chart default)."""
# ko-built images on a static base; the user is set explicitly so runAsNonRoot never depends on it.
RUN_AS = 65532


def pod_labels(component: str) -> dict[str, str]:
    """The stable labels of the add-on's pods (interceptor, scaler, operator): _helpers.tpl selectorLabels
    without the release-specific ones."""
    return {"app.kubernetes.io/name": "http-add-on", "app.kubernetes.io/component": component}


INTERCEPTOR = Peer(NAMESPACE, pod_labels("interceptor"))
SCALER = Peer(NAMESPACE, pod_labels("scaler"))


def helm_values(system: SystemPlacement, serving_namespace: str, drain_seconds: int) -> dict:
    """The add-on on the system pool, watching only the serving namespace's routes. `drain_seconds`: the
    longest a request may last; an interceptor that stops (a rollout, a node drain) finishes its
    streams for that long. Per-route timeouts (the hold) are on each InterceptorRoute."""
    placement = system.scheduling()
    security = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "privileged": False,
                "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS,
                "seccompProfile": {"type": "RuntimeDefault"}}
    return {
        "operator": {**placement, "replicas": 1, "pullPolicy": "IfNotPresent", "watchNamespace": serving_namespace},
        "scaler": {**placement, "replicas": 2, "pullPolicy": "IfNotPresent"},
        "interceptor": {
            **placement, "pullPolicy": "IfNotPresent",
            "replicas": {"min": 2, "max": 10},
            "extraEnvs": {"KEDA_HTTP_WATCH_NAMESPACE": serving_namespace},
            "drainTimeout": f"{drain_seconds}s",
            "terminationGracePeriodSeconds": SHUTDOWN_DELAY_SECONDS + drain_seconds + 10,
            # The interceptor's own 300 s default would cut a non-streaming completion that takes longer
            # to its first byte: the gateway's route timeout bounds the request instead.
            "responseHeaderTimeout": "0s",
        },
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS, "fsGroup": RUN_AS,
                               "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": security,
    }


def queue_per_proxy(queue_length: int, envoy_replicas: Optional[int]) -> int:
    """Envoy counts a circuit breaker per proxy: each of `envoy_replicas` takes its share of the model's
    queue (all of it when the count is the reused Gateway's, unknown here)."""
    return max(1, math.ceil(queue_length / (envoy_replicas or 1)))


def interceptor_policy(*, gateway: Peer, scrapers: Optional[Peer], labels: dict) -> dict:
    """Who reaches the interceptor: the gateway's Envoy pods on the proxy port, the scaler on the admin
    port (it polls each pod's queue), Prometheus on the metrics port; nothing else."""
    ingress = [{"from": [gateway.selector()], "ports": [{"protocol": "TCP", "port": PROXY_PORT}]},
               {"from": [SCALER.selector()], "ports": [{"protocol": "TCP", "port": ADMIN_PORT}]}]
    if scrapers is not None:
        ingress.append({"from": [scrapers.selector()], "ports": [{"protocol": "TCP", "port": METRICS_PORT}]})
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": f"{PREFIX}-interceptor", "namespace": NAMESPACE, "labels": labels},
        "spec": {"podSelector": {"matchLabels": pod_labels("interceptor")}, "policyTypes": ["Ingress"], "ingress": ingress},
    }


def metrics_service(namespace: Any, labels: dict) -> dict:
    """The interceptor's Prometheus endpoint, which the chart does not expose: requests, their
    duration and the requests in flight per route, held ones included (interceptor/metrics)."""
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": METRICS_SERVICE, "namespace": namespace, "labels": {**labels, **pod_labels("interceptor-metrics")}},
        "spec": {"type": "ClusterIP", "selector": pod_labels("interceptor"),
                 "ports": [{"name": METRICS_PORT_NAME, "port": METRICS_PORT, "targetPort": METRICS_PORT, "protocol": "TCP"}]},
    }
