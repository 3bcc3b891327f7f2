"""The llmstack policy pack's rules, as plain functions over a resource's type and properties, so
they are tested without the Pulumi CLI; `__main__.py` wraps them for `pulumi preview --policy-pack`.

Properties are what Pulumi passes a policy: the resource's inputs with their wire (camelCase) names.
Values unknown during a preview are absent or None; a rule never fails on what it cannot see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

# Facts shared with components/core/catalog (a test keeps them equal): the pack runs in its own
# virtual environment, without the components.
GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
COST_LABELS = ("team", "environment")
MODEL_LABEL = "model"
MODEL_COMPONENTS = ("vllm", "model-cache")
"""app.kubernetes.io/name of the workloads that belong to one model (serving, cache fill)."""
GATEWAY_API = "gateway.networking.k8s.io"

WORKLOADS = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
}
POD = "kubernetes:core/v1:Pod"
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _get(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def pod_template(resource_type: str, props: dict) -> Optional[dict]:
    """{"metadata", "spec"} of the pods a workload runs, or None for anything else."""
    if resource_type == POD:
        return props
    path = WORKLOADS.get(resource_type)
    return _get(props, *path) if path else None


def containers(pod_spec: dict) -> list[dict]:
    return [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]


def _pod(resource_type: str, props: dict) -> tuple[dict, dict]:
    template = pod_template(resource_type, props) or {}
    return template.get("metadata") or {}, template.get("spec") or {}


def _gpus(container: dict) -> bool:
    resources = container.get("resources") or {}
    return any(GPU_RESOURCE in (resources.get(part) or {}) for part in ("limits", "requests"))


def _tolerates_gpu_taint(pod_spec: dict, taint_keys: Iterable[str]) -> bool:
    return any(t.get("key") in taint_keys or (t.get("operator") == "Exists" and not t.get("key"))
               for t in pod_spec.get("tolerations") or [])


# -- Resource rules: (resource type, properties, config) -> violation messages ----------------------

def image_pinned(resource_type: str, props: dict, config: dict) -> list[str]:
    """Every container image names a version: a tag other than `latest`, or a digest."""
    _, spec = _pod(resource_type, props)
    problems = []
    for container in containers(spec):
        image = container.get("image")
        if not isinstance(image, str) or _DIGEST.search(image):
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest":
            problems.append(f"container '{container.get('name')}' image '{image}' is not pinned: use a version tag or a digest")
    return problems


def resource_limits(resource_type: str, props: dict, config: dict) -> list[str]:
    """CPU and memory limits on every container; GPUs requested only with an equal limit."""
    _, spec = _pod(resource_type, props)
    problems = []
    for container in containers(spec):
        resources = container.get("resources") or {}
        limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
        missing = [r for r in ("cpu", "memory") if r not in limits]
        if missing:
            problems.append(f"container '{container.get('name')}' has no {' or '.join(missing)} limit")
        if GPU_RESOURCE in requests and limits.get(GPU_RESOURCE) != requests[GPU_RESOURCE]:
            problems.append(f"container '{container.get('name')}' requests GPUs without an equal {GPU_RESOURCE} limit")
    return problems


def gpu_pods_are_placed(resource_type: str, props: dict, config: dict) -> list[str]:
    """A pod that uses GPUs tolerates the GPU taint and requires a GPU product by node affinity."""
    _, spec = _pod(resource_type, props)
    if not any(_gpus(c) for c in containers(spec)):
        return []
    problems = []
    if not _tolerates_gpu_taint(spec, config["gpuTaintKeys"]):
        problems.append(f"uses GPUs but tolerates none of the GPU taints {config['gpuTaintKeys']}: it would never schedule")
    terms = _get(spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms") or []
    selects = GPU_PRODUCT_LABEL in (spec.get("nodeSelector") or {}) or (terms and all(
        any(e.get("key") == GPU_PRODUCT_LABEL and e.get("operator") == "In" for e in t.get("matchExpressions") or [])
        for t in terms))
    if not selects:
        problems.append(f"uses GPUs but does not require a GPU product ({GPU_PRODUCT_LABEL}): it could land on the wrong GPU")
    return problems


def no_gpu_taint_without_gpus(resource_type: str, props: dict, config: dict) -> list[str]:
    """A pod that requests no GPU does not tolerate the GPU taint (it would take a GPU node's room)."""
    _, spec = _pod(resource_type, props)
    if pod_template(resource_type, props) is None or any(_gpus(c) for c in containers(spec)):
        return []
    if _tolerates_gpu_taint(spec, config["gpuTaintKeys"]):
        return ["tolerates the GPU taint but requests no GPU: keep it off GPU nodes"]
    return []


def cost_labels(resource_type: str, props: dict, config: dict) -> list[str]:
    """team and environment on every workload and its pods; model too on a model's workloads."""
    if pod_template(resource_type, props) is None:
        return []
    labels = _get(props, "metadata", "labels") or {}
    pod_labels, _ = _pod(resource_type, props)
    pod_labels = pod_labels.get("labels") or {}
    required = list(COST_LABELS)
    if labels.get("app.kubernetes.io/name") in MODEL_COMPONENTS:
        required.append(MODEL_LABEL)
    problems = [f"no '{k}' label" for k in required if k not in labels]
    problems += [f"pods have no '{k}' label" for k in required if k not in pod_labels]
    return problems


def vllm_has_startup_probe(resource_type: str, props: dict, config: dict) -> list[str]:
    """A vLLM Deployment gives its model time to load: a startupProbe on the server container."""
    if resource_type != "kubernetes:apps/v1:Deployment" or _get(props, "metadata", "labels", "app.kubernetes.io/name") != "vllm":
        return []
    _, spec = _pod(resource_type, props)
    if not all(c.get("startupProbe") for c in spec.get("containers") or []):
        return ["vLLM container without a startupProbe: liveness would kill it while the model loads"]
    return []


def offline_where_cache_mounted(resource_type: str, props: dict, config: dict) -> list[str]:
    """A container that mounts a read-only model cache runs with HF_HUB_OFFLINE=1: a scale-up never
    downloads weights."""
    _, spec = _pod(resource_type, props)
    caches = {v.get("name") for v in spec.get("volumes") or [] if "persistentVolumeClaim" in v}
    problems = []
    for container in containers(spec):
        mounts = [m for m in container.get("volumeMounts") or [] if m.get("name") in caches and m.get("readOnly")]
        env = {e.get("name"): e.get("value") for e in container.get("env") or []}
        if mounts and env.get("HF_HUB_OFFLINE") != "1":
            problems.append(f"container '{container.get('name')}' mounts the model cache without HF_HUB_OFFLINE=1")
    return problems


def no_exposed_services(resource_type: str, props: dict, config: dict) -> list[str]:
    """No Service of ours is a LoadBalancer or NodePort: models are reached through the gateway,
    whose load balancer Envoy Gateway makes from the EnvoyProxy."""
    if resource_type != "kubernetes:core/v1:Service":
        return []
    kind = _get(props, "spec", "type") or "ClusterIP"
    if kind in ("LoadBalancer", "NodePort"):
        return [f"Service of type {kind}: expose models only through the gateway"]
    return []


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


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[[str, dict, dict], list[str]]


RESOURCE_RULES = [
    Rule("llmstack-images-pinned", "No `latest` or untagged container images.", image_pinned),
    Rule("llmstack-resource-limits", "CPU and memory limits on every container; GPU requests equal limits.", resource_limits),
    Rule("llmstack-gpu-pods-placed", "GPU pods tolerate the GPU taint and require a GPU product.", gpu_pods_are_placed),
    Rule("llmstack-gpu-nodes-for-gpu-pods", "Pods without a GPU request do not tolerate the GPU taint.", no_gpu_taint_without_gpus),
    Rule("llmstack-cost-labels", "team, environment (and model, for a model's workloads) on workloads and their pods.", cost_labels),
    Rule("llmstack-vllm-startup-probe", "Every vLLM Deployment has a startupProbe.", vllm_has_startup_probe),
    Rule("llmstack-cache-offline", "HF_HUB_OFFLINE=1 wherever a model cache is mounted read-only.", offline_where_cache_mounted),
    Rule("llmstack-no-exposed-services", "No LoadBalancer or NodePort Service besides the gateway's.", no_exposed_services),
    Rule("llmstack-https-certificates", "Every HTTPS listener has a certificate.", https_listeners_have_certificates),
    Rule("llmstack-volumes-encrypted", "EBS and EFS storage is encrypted.", volumes_encrypted),
    Rule("llmstack-imdsv2", "Node launch templates require IMDSv2.", imdsv2_required),
]


# -- Stack rules: every resource at once -> (message, urn) ------------------------------------------

def _selects(selector: dict, labels: dict) -> bool:
    match = selector.get("matchLabels") or {}
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def vllm_deployments_have_pdbs(resources: list[tuple[str, dict, str]]) -> list[tuple[str, str]]:
    """Every vLLM Deployment is covered by a PodDisruptionBudget in its namespace."""
    budgets = [props for kind, props, _ in resources if kind == "kubernetes:policy/v1:PodDisruptionBudget"]
    problems = []
    for kind, props, urn in resources:
        if kind != "kubernetes:apps/v1:Deployment" or _get(props, "metadata", "labels", "app.kubernetes.io/name") != "vllm":
            continue
        namespace, pod_labels = _get(props, "metadata", "namespace"), _get(props, "spec", "template", "metadata", "labels") or {}
        if not any(_get(b, "metadata", "namespace") == namespace and _selects(_get(b, "spec", "selector") or {}, pod_labels)
                   for b in budgets):
            problems.append(("vLLM Deployment without a PodDisruptionBudget: a node drain could stop every replica", urn))
    return problems


STACK_RULES = [
    Rule("llmstack-vllm-pdb", "Every vLLM Deployment has a PodDisruptionBudget.", vllm_deployments_have_pdbs),
]

DEFAULT_CONFIG = {"gpuTaintKeys": [GPU_RESOURCE]}
CONFIG_SCHEMA = {"gpuTaintKeys": {"type": "array", "items": {"type": "string"}, "default": [GPU_RESOURCE]}}
