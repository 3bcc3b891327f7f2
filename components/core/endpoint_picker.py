"""Prefix-cache-aware routing for a model with several replicas: an InferencePool of its pods and an
endpoint picker (the Gateway API Inference Extension's EPP v1.5.0) that Envoy asks, for each request,
which pod to send it to.

Request path: Envoy (TLS, API key, tenant grant, limits; unchanged) -> AI Gateway's ext_proc (the
body's `model`) -> the model's route, whose backend is the InferencePool -> the picker, an ext_proc
filter AI Gateway places last before the router (ai-gateway v1.1.0 internal/extensionserver), scores
the pool's ready pods on queue depth (2), KV-cache use (2) and an approximate index of the prompt
prefixes it sent to each (3), and names one in `x-gateway-destination-endpoint` -> Envoy connects to
that pod directly (an ORIGINAL_DST cluster).

Facts of GIE v1.5.0 (df9f8909) and AI Gateway v1.1.0 (c217da8a):
- the picker's flags and defaults: pkg/epp/server/options.go (gRPC ext_proc 9002 with a self-signed
  TLS certificate, which AI Gateway's cluster expects without verifying it; gRPC health 9003 without
  TLS, SERVING once the pool is synced; metrics 9090); the chart's arguments:
  config/charts/epplib/templates/_deployment.yaml; the metric-name flags are refused (vLLM's are built in);
- what it reads: pods and its InferencePool in the pool's namespace (pkg/epp/server/controller_manager.go),
  and InferenceObjectives and rewrites only where their CRDs exist;
- AI Gateway dials `<endpointPickerRef.name>.<namespace>.svc:<port.number>`, reads no other field of
  the reference, and fails closed (`FailureModeAllow: false`) whatever the pool says;
- Envoy Gateway hands the pool to AI Gateway only when its extension manager lists InferencePool as a
  backend resource (examples/inference-pool/envoy-gateway-values-addon.yaml).
"""

from __future__ import annotations

from typing import Any

import yaml

from .catalog.images import ENDPOINT_PICKER, ENDPOINT_PICKER_UID
from .cluster import SystemPlacement
from .labels import selector_labels
from .manifests import vllm
from .manifests.network import Peer, dns_egress
from .manifests.security import API_TOKEN, PULL_IF_NOT_PRESENT, TAG_NOT_DIGEST, container_security_context, scan_exceptions

POOL_GROUP = "inference.networking.k8s.io"
POOL_API_VERSION = f"{POOL_GROUP}/v1"
COMPONENT = "endpoint-picker"
GRPC_PORT, HEALTH_PORT, METRICS_PORT = 9002, 9003, 9090
CONFIG_DIR, CONFIG_FILE = "/config", "default-plugins.yaml"
HEALTH_SERVICE = "inference-extension"
"""The gRPC health service the chart's probes name; without leader election any name is answered."""
API_SERVER_PORTS = (443, 6443)
"""The Kubernetes API as pods reach it: the `kubernetes` Service's port, or the control plane's own
(EKS, GKE and AKS serve on 443; kubeadm and kind on 6443)."""
BACKEND_RESOURCE = {"group": POOL_GROUP, "kind": "InferencePool", "version": "v1"}
"""What Envoy Gateway's extension manager must list for AI Gateway to receive InferencePools."""
RESOURCES = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}}
"""Far below the chart's 4 CPU / 8 GiB, which upstream sized for scale tests at high request rates;
the picker scrapes its pool's pods every 50 ms and keeps a prefix index per pod in memory."""
PODS = {"app.kubernetes.io/name": COMPONENT}
"""The label every picker pod carries (the model's pods admit them on their metrics port)."""

# The chart's plugin configuration for vLLM (epplib/templates/_config.yaml), which the picker's own
# defaults equal (pkg/epp/config/loader/defaults.go): the prefix scorer reads vLLM's block size and
# count from vllm:cache_config_info (autoTune).
PLUGINS = {
    "apiVersion": "inference.networking.x-k8s.io/v1alpha1",
    "kind": "EndpointPickerConfig",
    "plugins": [
        {"type": "queue-scorer"},
        {"type": "kv-cache-utilization-scorer"},
        {"type": "prefix-cache-scorer"},
        {"type": "metrics-data-source", "parameters": {"scheme": "http", "path": "/metrics", "insecureSkipVerify": True}},
        {"type": "core-metrics-extractor"},
    ],
    "schedulingProfiles": [{"name": "default", "plugins": [
        {"pluginRef": "queue-scorer", "weight": 2},
        {"pluginRef": "kv-cache-utilization-scorer", "weight": 2},
        {"pluginRef": "prefix-cache-scorer", "weight": 3},
    ]}],
}


def name(model: str) -> str:
    return f"{model}-epp"


def picker_labels(model: str) -> dict[str, str]:
    return selector_labels(COMPONENT, model)


def routed_by_picker(replicas_max: int) -> bool:
    """A model with several replicas is routed by prefix cache; one replica needs no picking."""
    return replicas_max > 1


def gateway_routes_pools(spec: Any) -> bool:
    """The stack's own Gateway does (the stack configures it); a reused one when its owner says so."""
    return spec.reuse is None or spec.reuse.inference_pools


def inference_pool(model: str, namespace: Any, labels: dict) -> dict:
    return {
        "apiVersion": POOL_API_VERSION, "kind": "InferencePool",
        "metadata": {"name": model, "namespace": namespace, "labels": labels},
        "spec": {
            "selector": {"matchLabels": selector_labels(vllm.COMPONENT, model)},
            "targetPorts": [{"number": vllm.PORT}],
            "endpointPickerRef": {"group": "", "kind": "Service", "name": name(model), "port": {"number": GRPC_PORT},
                                  "failureMode": "FailClose"},
        },
    }


def pool_backend_ref(model: str) -> dict:
    """An AIGatewayRoute rule's backend: the model's InferencePool (alone in its rule, as AI Gateway requires)."""
    return {"group": POOL_GROUP, "kind": "InferencePool", "name": model}


def objects(model: str, namespace: Any, labels: dict, system: SystemPlacement) -> list[dict]:
    """The picker of one model: its account and namespaced rights, plugin config, Deployment and Service."""
    own = {**labels, **picker_labels(model)}
    meta = {"name": name(model), "namespace": namespace, "labels": own}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [POOL_GROUP], "resources": ["inferencepools"], "verbs": ["get", "list", "watch"]},
            # Read only if those CRDs are ever installed (the picker looks them up at start).
            {"apiGroups": ["inference.networking.x-k8s.io"], "resources": ["inferenceobjectives", "inferencemodelrewrites"],
             "verbs": ["get", "list", "watch"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name(model)},
        "subjects": [{"kind": "ServiceAccount", "name": name(model), "namespace": namespace}],
    }
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
              "data": {CONFIG_FILE: yaml.safe_dump(PLUGINS, sort_keys=False)}}
    return [account, role, binding, config, deployment(model, namespace, own, system), service(model, namespace, own)]


def deployment(model: str, namespace: Any, labels: dict, system: SystemPlacement) -> dict:
    """One picker (its prefix index lives in its memory: two would split it), rolled by starting the new
    one first, since Envoy fails the model's requests while no picker answers."""
    probe = {"grpc": {"port": HEALTH_PORT, "service": HEALTH_SERVICE}}
    container = {
        "name": "epp", "image": ENDPOINT_PICKER.reference, "imagePullPolicy": "IfNotPresent",
        "args": ["--pool-name", model, "--pool-namespace", namespace, "--pool-group", POOL_GROUP,
                 "--config-file", f"{CONFIG_DIR}/{CONFIG_FILE}", "--metrics-endpoint-auth=false", "--tracing=false",
                 "--zap-encoder", "json", "--v", "1"],
        "ports": [{"name": "grpc", "containerPort": GRPC_PORT, "protocol": "TCP"},
                  {"name": "grpc-health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "livenessProbe": {**probe, "initialDelaySeconds": 5, "periodSeconds": 10},
        "readinessProbe": {**probe, "periodSeconds": 2},
        "resources": RESOURCES,
        "securityContext": {**container_security_context(read_only_root=True), "runAsUser": ENDPOINT_PICKER_UID,
                            "runAsGroup": ENDPOINT_PICKER_UID},
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}],
    }
    pod = {
        **system.scheduling(),
        "serviceAccountName": name(model),
        "terminationGracePeriodSeconds": 130,
        "securityContext": {"runAsNonRoot": True, "runAsUser": ENDPOINT_PICKER_UID, "runAsGroup": ENDPOINT_PICKER_UID,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": "config", "configMap": {"name": name(model)}}],
    }
    selector = picker_labels(model)
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name(model), "namespace": namespace, "labels": labels,
                     "annotations": scan_exceptions(PULL_IF_NOT_PRESENT, TAG_NOT_DIGEST, API_TOKEN)},
        "spec": {"replicas": 1, "selector": {"matchLabels": selector},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                 "template": {"metadata": {"labels": labels}, "spec": pod}},
    }


def service(model: str, namespace: Any, labels: dict) -> dict:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name(model), "namespace": namespace, "labels": labels},
        "spec": {"type": "ClusterIP", "selector": picker_labels(model),
                 "ports": [{"name": "grpc-ext-proc", "port": GRPC_PORT, "targetPort": "grpc", "protocol": "TCP"},
                           {"name": "http-metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"}]},
    }


def network_policy(namespace: Any, labels: dict, *, gateway: Peer, scrapers: Peer | None) -> dict:
    """Every picker of the namespace: Envoy asks it on 9002, Prometheus scrapes 9090; it reaches DNS, the
    model pods' metrics (its scores) and the Kubernetes API (its pods and pool), nothing else."""
    ingress = [{"from": [gateway.selector()], "ports": [{"protocol": "TCP", "port": GRPC_PORT}]}]
    if scrapers is not None:
        ingress.append({"from": [scrapers.selector()], "ports": [{"protocol": "TCP", "port": METRICS_PORT}]})
    models = Peer("", {"app.kubernetes.io/name": vllm.COMPONENT})
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": COMPONENT, "namespace": namespace, "labels": labels},
        "spec": {
            "podSelector": {"matchLabels": PODS},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": [
                dns_egress(),
                {"to": [{"podSelector": {"matchLabels": models.pod_labels}}], "ports": [{"protocol": "TCP", "port": vllm.PORT}]},
                {"ports": [{"protocol": "TCP", "port": port} for port in API_SERVER_PORTS]},
            ],
        },
    }
