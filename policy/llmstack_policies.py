"""The llmstack policy pack's rules, as plain functions over a resource's type and properties, so
they are tested without the Pulumi CLI; `__main__.py` wraps them for `pulumi preview --policy-pack`.

Properties are what Pulumi passes a policy: the resource's inputs with their wire (camelCase) names.
Values unknown during a preview are absent or None; a rule never fails on what it cannot see.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

# Facts shared with components/core/catalog (a test keeps them equal): the pack runs in its own
# virtual environment, without the components.
GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
GPU_TAINT = {"key": GPU_RESOURCE, "value": "present", "effect": "NoSchedule"}
"""The taint of the AWS platform's GPU pools (components/aws/spec.py); a cluster whose GPU pools are
tainted otherwise sets the pack's `gpuTaints` config."""
COST_LABELS = ("team", "environment")
MODEL_LABEL = "model"
MODEL_COMPONENTS = ("vllm", "model-cache")
"""app.kubernetes.io/name of the workloads that belong to one model (serving, cache fill)."""
GATEWAY_API = "gateway.networking.k8s.io"

POD_TEMPLATES = {
    "Pod": (),
    "PodTemplate": ("template",),
    "Deployment": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
"""Where each kind that declares pods keeps their {"metadata", "spec"}. Keyed by kind alone, so every
API version is covered (apps/v1, extensions/v1beta1, batch/v1beta1, ...)."""
REPLICATED_KINDS = ("Deployment", "ReplicaSet", "ReplicationController", "StatefulSet")
"""Kinds that keep replicas of a pod running, which a node drain can take down together."""
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_INT64 = re.compile(r"[+-]?[0-9]+")


def _get(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def kind_of(resource_type: str) -> str:
    """The Kubernetes kind of a pulumi-kubernetes type token (`kubernetes:apps/v1:ReplicaSet`), or of
    a bare kind (`ReplicaSet`); "" for any other provider's type."""
    parts = resource_type.split(":")
    if len(parts) == 1:
        return resource_type
    return parts[-1] if parts[0] == "kubernetes" and len(parts) == 3 else ""


@dataclass(frozen=True)
class Pods:
    """The pods one object declares: a Pod itself, or a workload's pod template."""

    kind: str
    owner: dict
    """metadata of the declaring object (for a Pod, its own)."""
    metadata: dict
    spec: dict


def pods_of(resource_type: str, props: dict) -> list[Pods]:
    """The pods declared by any object, of any kind that carries a pod spec (see POD_TEMPLATES), or by
    each item of a list of them (`DeploymentList`, `List`); [] for anything else. Every rule over pods
    gets them from here (through `pod_rule`), so no rule can miss a kind."""
    kind = kind_of(resource_type)
    if kind.endswith("List") and isinstance(props.get("items"), list):
        return [pods for item in props["items"] if isinstance(item, dict)
                for pods in pods_of(kind[:-len("List")] or str(item.get("kind") or ""), item)]
    path = POD_TEMPLATES.get(kind)
    template = _get(props, *path) if path is not None else None
    if not isinstance(template, dict):
        return []
    return [Pods(kind, props.get("metadata") or {}, template.get("metadata") or {}, template.get("spec") or {})]


def pod_rule(check: Callable[[Pods, dict], list[str]]) -> Callable[[str, dict, dict], list[str]]:
    """A resource rule that applies `check(pods, config)` to the pods of every object that declares some."""
    @functools.wraps(check)
    def rule(resource_type: str, props: dict, config: dict) -> list[str]:
        return [message for pods in pods_of(resource_type, props) for message in check(pods, config)]

    return rule


def containers(pod_spec: dict) -> list[dict]:
    return [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]


def _app_name(pods: Pods) -> Any:
    return _get(pods.owner, "labels", "app.kubernetes.io/name") or _get(pods.metadata, "labels", "app.kubernetes.io/name")


def _gpus(container: dict) -> bool:
    resources = container.get("resources") or {}
    return any(GPU_RESOURCE in (resources.get(part) or {}) for part in ("limits", "requests"))


def _int64(value: Any) -> int | None:
    """Go's strconv.ParseInt(value, 10, 64), None where it fails."""
    if not isinstance(value, str) or not _INT64.fullmatch(value):
        return None
    number = int(value)
    return number if -2**63 <= number < 2**63 else None


def tolerates(toleration: dict, taint: dict) -> bool:
    """Kubernetes' Toleration.ToleratesTaint (k8s.io/api/core/v1/toleration.go): an empty effect
    matches every effect and an empty key every key; Exists matches any value, Equal (or no operator)
    an equal value, Lt and Gt compare integer values; any other operator matches nothing."""
    effect, key = toleration.get("effect") or "", toleration.get("key") or ""
    if effect and effect != taint.get("effect", ""):
        return False
    if key and key != taint.get("key", ""):
        return False
    operator, value, taint_value = toleration.get("operator") or "", toleration.get("value") or "", taint.get("value") or ""
    if operator in ("", "Equal"):
        return value == taint_value
    if operator == "Exists":
        return True
    if operator in ("Lt", "Gt"):
        limit, actual = _int64(value), _int64(taint_value)
        if limit is None or actual is None:
            return False
        return actual < limit if operator == "Lt" else actual > limit
    return False


def _tolerates_gpu_taint(pod_spec: dict, taints: Iterable[dict]) -> bool:
    return any(tolerates(toleration, taint) for taint in taints for toleration in pod_spec.get("tolerations") or [])


# -- Resource rules: (resource type, properties, config) -> violation messages ----------------------

@pod_rule
def image_pinned(pods: Pods, config: dict) -> list[str]:
    """Every container image names a version: a tag other than `latest`, or a digest."""
    problems = []
    for container in containers(pods.spec):
        image = container.get("image")
        if not isinstance(image, str) or _DIGEST.search(image):
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest":
            problems.append(f"container '{container.get('name')}' image '{image}' is not pinned: use a version tag or a digest")
    return problems


@pod_rule
def resource_limits(pods: Pods, config: dict) -> list[str]:
    """CPU and memory limits on every container; GPUs requested only with an equal limit."""
    problems = []
    for container in containers(pods.spec):
        resources = container.get("resources") or {}
        limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
        missing = [r for r in ("cpu", "memory") if r not in limits]
        if missing:
            problems.append(f"container '{container.get('name')}' has no {' or '.join(missing)} limit")
        if GPU_RESOURCE in requests and limits.get(GPU_RESOURCE) != requests[GPU_RESOURCE]:
            problems.append(f"container '{container.get('name')}' requests GPUs without an equal {GPU_RESOURCE} limit")
    return problems


@pod_rule
def gpu_pods_are_placed(pods: Pods, config: dict) -> list[str]:
    """A pod that uses GPUs tolerates the GPU taint and requires a GPU product by node affinity."""
    spec = pods.spec
    if not any(_gpus(c) for c in containers(spec)):
        return []
    problems = []
    if not _tolerates_gpu_taint(spec, config["gpuTaints"]):
        taints = [f"{t.get('key')}={t.get('value') or ''}:{t.get('effect')}" for t in config["gpuTaints"]]
        problems.append(f"uses GPUs but tolerates none of the GPU taints {taints}: it would never schedule")
    terms = _get(spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms") or []
    selects = GPU_PRODUCT_LABEL in (spec.get("nodeSelector") or {}) or (terms and all(
        any(e.get("key") == GPU_PRODUCT_LABEL and e.get("operator") == "In" for e in t.get("matchExpressions") or [])
        for t in terms))
    if not selects:
        problems.append(f"uses GPUs but does not require a GPU product ({GPU_PRODUCT_LABEL}): it could land on the wrong GPU")
    return problems


@pod_rule
def no_gpu_taint_without_gpus(pods: Pods, config: dict) -> list[str]:
    """A pod that requests no GPU does not tolerate the GPU taint (it would take a GPU node's room)."""
    if any(_gpus(c) for c in containers(pods.spec)):
        return []
    if _tolerates_gpu_taint(pods.spec, config["gpuTaints"]):
        return ["tolerates the GPU taint but requests no GPU: keep it off GPU nodes"]
    return []


@pod_rule
def cost_labels(pods: Pods, config: dict) -> list[str]:
    """team and environment on every workload and its pods; model too on a model's workloads."""
    labels, pod_labels = pods.owner.get("labels") or {}, pods.metadata.get("labels") or {}
    required = list(COST_LABELS)
    if _app_name(pods) in MODEL_COMPONENTS:
        required.append(MODEL_LABEL)
    problems = [f"no '{k}' label" for k in required if k not in labels]
    problems += [f"pods have no '{k}' label" for k in required if k not in pod_labels]
    return problems


@pod_rule
def vllm_has_startup_probe(pods: Pods, config: dict) -> list[str]:
    """A vLLM workload gives its model time to load: a startupProbe on the server container."""
    if _app_name(pods) != "vllm":
        return []
    if not all(c.get("startupProbe") for c in pods.spec.get("containers") or []):
        return ["vLLM container without a startupProbe: liveness would kill it while the model loads"]
    return []


@pod_rule
def offline_where_cache_mounted(pods: Pods, config: dict) -> list[str]:
    """A container that mounts a read-only model cache runs with HF_HUB_OFFLINE=1: a scale-up never
    downloads weights."""
    caches = {v.get("name") for v in pods.spec.get("volumes") or [] if "persistentVolumeClaim" in v}
    problems = []
    for container in containers(pods.spec):
        mounts = [m for m in container.get("volumeMounts") or [] if m.get("name") in caches and m.get("readOnly")]
        env = {e.get("name"): e.get("value") for e in container.get("env") or []}
        if mounts and env.get("HF_HUB_OFFLINE") != "1":
            problems.append(f"container '{container.get('name')}' mounts the model cache without HF_HUB_OFFLINE=1")
    return problems


def no_exposed_services(resource_type: str, props: dict, config: dict) -> list[str]:
    """No Service of ours is reachable from outside the cluster (a LoadBalancer, a NodePort, or any
    type with externalIPs): models are reached through the gateway, whose load balancer Envoy Gateway
    makes from the EnvoyProxy."""
    if kind_of(resource_type) != "Service":
        return []
    problems = []
    kind = _get(props, "spec", "type") or "ClusterIP"
    if kind in ("LoadBalancer", "NodePort"):
        problems.append(f"Service of type {kind}: expose models only through the gateway")
    external_ips = _get(props, "spec", "externalIPs")
    if external_ips:
        problems.append(f"Service with externalIPs {external_ips}: expose models only through the gateway")
    return problems


def https_listeners_have_certificates(resource_type: str, props: dict, config: dict) -> list[str]:
    if resource_type != f"kubernetes:{GATEWAY_API}/v1:Gateway":
        return []
    problems = []
    for listener in _get(props, "spec", "listeners") or []:
        if listener.get("protocol") == "HTTPS":
            tls = listener.get("tls") or {}
            if tls.get("mode", "Terminate") != "Terminate" or not tls.get("certificateRefs"):
                problems.append(f"HTTPS listener '{listener.get('name')}' has no certificate to terminate TLS with")
    return problems


def volumes_encrypted(resource_type: str, props: dict, config: dict) -> list[str]:
    """EFS file systems, EBS volumes, launch template disks and EBS StorageClasses are encrypted."""
    if resource_type in ("aws:efs/fileSystem:FileSystem", "aws:ebs/volume:Volume"):
        return [] if props.get("encrypted") is True else ["not encrypted: set encrypted"]
    if resource_type == "aws:ec2/launchTemplate:LaunchTemplate":
        return [f"block device {m.get('deviceName')} is not encrypted" for m in props.get("blockDeviceMappings") or []
                if "ebs" in m and str(_get(m, "ebs", "encrypted")).lower() != "true"]
    if resource_type == "kubernetes:storage.k8s.io/v1:StorageClass" and props.get("provisioner") == "ebs.csi.aws.com":
        return [] if str(_get(props, "parameters", "encrypted")).lower() == "true" else ["EBS class without parameters.encrypted: \"true\""]
    return []


def imdsv2_required(resource_type: str, props: dict, config: dict) -> list[str]:
    if resource_type != "aws:ec2/launchTemplate:LaunchTemplate":
        return []
    if _get(props, "metadataOptions", "httpTokens") != "required":
        return ["instance metadata allows IMDSv1: set metadataOptions.httpTokens to required"]
    return []


def gke_metadata_server(resource_type: str, props: dict, config: dict) -> list[str]:
    """GKE nodes serve pods the GKE metadata server, never the node's own credentials (the GKE
    counterpart of IMDSv2 with hop limit 2: a pod must not act as the node's service account)."""
    if resource_type not in ("gcp:container/nodePool:NodePool", "gcp:container/cluster:Cluster"):
        return []
    node_config = props.get("nodeConfig")
    if not node_config:
        return []
    mode = _get(node_config, "workloadMetadataConfig", "mode")
    if mode is not None and mode != "GKE_METADATA":
        return [f"nodeConfig.workloadMetadataConfig.mode is {mode}: pods can read the node's credentials; set GKE_METADATA"]
    if mode is None and resource_type == "gcp:container/nodePool:NodePool":
        return ["nodeConfig.workloadMetadataConfig.mode unset: set GKE_METADATA so pods cannot read the node's credentials"]
    return []


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[[str, dict, dict], list[str]]


RESOURCE_RULES = [
    Rule("llmstack-images-pinned", "No `latest` or untagged container images.", image_pinned),
    Rule("llmstack-resource-limits", "CPU and memory limits on every container; GPU requests equal limits.", resource_limits),
    Rule("llmstack-gpu-pods-placed", "GPU pods tolerate a GPU taint and require a GPU product.", gpu_pods_are_placed),
    Rule("llmstack-gpu-nodes-for-gpu-pods", "Pods without a GPU request do not tolerate the GPU taint.", no_gpu_taint_without_gpus),
    Rule("llmstack-cost-labels", "team, environment (and model, for a model's workloads) on workloads and their pods.", cost_labels),
    Rule("llmstack-vllm-startup-probe", "Every vLLM workload has a startupProbe.", vllm_has_startup_probe),
    Rule("llmstack-cache-offline", "HF_HUB_OFFLINE=1 wherever a model cache is mounted read-only.", offline_where_cache_mounted),
    Rule("llmstack-no-exposed-services", "No LoadBalancer, NodePort or externalIPs Services.", no_exposed_services),
    Rule("llmstack-https-certificates", "Every HTTPS listener has a certificate.", https_listeners_have_certificates),
    Rule("llmstack-volumes-encrypted", "EBS and EFS storage is encrypted.", volumes_encrypted),
    Rule("llmstack-imdsv2", "Node launch templates require IMDSv2.", imdsv2_required),
    Rule("llmstack-gke-metadata-server", "GKE nodes give pods the GKE metadata server, not the node's credentials.",
         gke_metadata_server),
]


# -- Stack rules: every resource at once -> (message, urn) ------------------------------------------

def _selects(selector: dict, labels: dict) -> bool:
    match = selector.get("matchLabels") or {}
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def vllm_workloads_have_pdbs(resources: list[tuple[str, dict, str]]) -> list[tuple[str, str]]:
    """Every replicated vLLM workload (Deployment, ReplicaSet, ...) is covered by a PodDisruptionBudget
    in its namespace."""
    budgets = [props for kind, props, _ in resources if kind_of(kind) == "PodDisruptionBudget"]
    problems = []
    for kind, props, urn in resources:
        for pods in pods_of(kind, props):
            if pods.kind not in REPLICATED_KINDS or _app_name(pods) != "vllm":
                continue
            namespace, pod_labels = pods.owner.get("namespace"), pods.metadata.get("labels") or {}
            if not any(_get(b, "metadata", "namespace") == namespace and _selects(_get(b, "spec", "selector") or {}, pod_labels)
                       for b in budgets):
                problems.append((f"vLLM {pods.kind} without a PodDisruptionBudget: a node drain could stop every replica", urn))
    return problems


STACK_RULES = [
    Rule("llmstack-vllm-pdb", "Every replicated vLLM workload has a PodDisruptionBudget.", vllm_workloads_have_pdbs),
]

DEFAULT_CONFIG = {"gpuTaints": [GPU_TAINT]}
CONFIG_SCHEMA = {"gpuTaints": {
    "type": "array", "default": [GPU_TAINT], "description": "the taints of the GPU pools: a GPU pod tolerates one of them",
    "items": {"type": "object", "required": ["key", "effect"], "additionalProperties": False, "properties": {
        "key": {"type": "string"}, "value": {"type": "string"},
        "effect": {"type": "string", "enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]}}},
}}
