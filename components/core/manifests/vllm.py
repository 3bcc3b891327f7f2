"""vLLM serving objects for one model, built as plain Kubernetes dicts from typed specs.

Scheduling comes from the pool (placement.py), storage from the cache layout (cache.py), flags
from the engine spec. Leaf values such as the namespace or claim name may be Pulumi Outputs; the
builders only place them, so dependencies stay implicit and the builders stay pure.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Optional

from ..catalog import vllm as vllm_facts
from ..catalog.gpus import GPU_RESOURCE
from ..catalog.images import VLLM_CPU, VLLM_GPU
from ..cluster import NodePool
from ..labels import POOL_LABEL, selector_labels
from ..model import ModelSpec
from ..placement import node_affinity_for, tolerations_for
from ..quantity import parse_quantity
from .cache import MOUNT_PATH, marker_path, model_dir
from .security import (IMAGE_USER, PULL_IF_NOT_PRESENT, TAG_NOT_DIGEST, WRITABLE_ROOT, container_security_context,
                       pod_security_context, scan_exceptions)

COMPONENT = "vllm"
PORT = 8000
PORT_NAME = "http"
HOME = "/home/vllm"
STARTUP_PERIOD_SECONDS = 10
# preStop: keep serving while the pod's endpoint is removed from every proxy, then SIGTERM starts
# vLLM's own drain (--shutdown-timeout), which finishes running requests and rejects new ones.
ENDPOINT_SETTLE_SECONDS = 10
EXIT_MARGIN_SECONDS = 10


def vllm_args(model: ModelSpec, pool: NodePool) -> list[str]:
    """Arguments after the image's `vllm serve` entrypoint, serving the cached local directory."""
    engine = model.engine
    args = [
        model_dir(model),
        "--served-model-name", model.served_name,
        "--host", "0.0.0.0",
        "--port", str(PORT),
        "--dtype", engine.dtype,
        vllm_facts.SHUTDOWN_FLAG, str(shutdown_timeout(model)),
        "--disable-access-log-for-endpoints", vllm_facts.QUIET_ENDPOINTS,
    ]
    if pool.is_gpu:
        args += [
            "--tensor-parallel-size", str(engine.tensor_parallel_size),
            "--gpu-memory-utilization", f"{engine.gpu_memory_utilization:g}",
        ]
    optional = {
        "--quantization": engine.quantization,
        "--max-model-len": engine.max_model_len,
        "--max-num-seqs": engine.max_num_seqs,
        "--max-num-batched-tokens": engine.max_num_batched_tokens,
        "--kv-cache-dtype": None if engine.kv_cache_dtype == "auto" else engine.kv_cache_dtype,
        "--kv-cache-memory-bytes": kv_cache_bytes(model, pool),
    }
    for flag, value in optional.items():
        if value is not None:
            args += [flag, str(value)]
    if engine.enable_prefix_caching is not None:
        args.append("--enable-prefix-caching" if engine.enable_prefix_caching else "--no-enable-prefix-caching")
    return args + list(engine.extra_args)


def shutdown_timeout(model: ModelSpec) -> int:
    """Seconds vLLM drains after SIGTERM: the grace period less the preStop settle and a margin to exit."""
    return model.drain_seconds - ENDPOINT_SETTLE_SECONDS - EXIT_MARGIN_SECONDS


def kv_cache_bytes(model: ModelSpec, pool: NodePool) -> Optional[int]:
    """Explicit KV cache size: as configured, or on CPU pools a share of the pod's memory limit
    (vLLM would otherwise size it from the host's memory, not the container's)."""
    if model.engine.kv_cache_memory is not None:
        return int(parse_quantity(model.engine.kv_cache_memory))
    if not pool.is_gpu:
        return int(parse_quantity(model.resources.memory) * Decimal(str(vllm_facts.CPU_KV_CACHE_SHARE)))
    return None


def cpu_threads(model: ModelSpec) -> int:
    return max(1, int(parse_quantity(model.resources.cpu)))


def vllm_env(model: ModelSpec, pool: NodePool) -> list[dict]:
    env = {
        # Weights come only from the read-only cache: a scale-up never reaches the Hub.
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
        # Non-root with a read-only image: compile and kernel caches go to an emptyDir home.
        "HOME": HOME,
        "XDG_CACHE_HOME": f"{HOME}/.cache",
        "USER": "vllm",
    }
    if not pool.is_gpu:
        # One OpenMP thread per CPU of the limit, instead of binding to every host CPU.
        env.update({"VLLM_CPU_OMP_THREADS_BIND": "nobind", "OMP_NUM_THREADS": str(cpu_threads(model))})
    return [{"name": key, "value": value} for key, value in env.items()]


def startup_budget(model: ModelSpec) -> int:
    """Seconds the model may take to start: the resolved model's (the planner fills the field from the
    weight size when the config leaves it unset; components.capacity.planning.plan_model)."""
    if model.startup_timeout_seconds is None:
        raise ValueError(f"model '{model.name}' is not resolved: render from its plan (plan_model(...).model)")
    return model.startup_timeout_seconds


def startup_failure_threshold(model: ModelSpec) -> int:
    return math.ceil(startup_budget(model) / STARTUP_PERIOD_SECONDS)


def container(model: ModelSpec, pool: NodePool, image: str) -> dict:
    limits: dict[str, Any] = {"cpu": model.resources.cpu, "memory": model.resources.memory}
    if pool.is_gpu:
        limits[GPU_RESOURCE] = model.gpus_per_replica
    health = {"httpGet": {"path": "/health", "port": PORT_NAME}}
    return {
        "name": COMPONENT,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": vllm_args(model, pool),
        "env": vllm_env(model, pool),
        # The API, /health and Prometheus /metrics are all served on this one named port.
        "ports": [{"name": PORT_NAME, "containerPort": PORT, "protocol": "TCP"}],
        "resources": {"requests": dict(limits), "limits": limits},
        "startupProbe": {**health, "periodSeconds": STARTUP_PERIOD_SECONDS, "timeoutSeconds": 5,
                         "failureThreshold": startup_failure_threshold(model)},
        "readinessProbe": {**health, "periodSeconds": 5, "timeoutSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {**health, "periodSeconds": 15, "timeoutSeconds": 10, "failureThreshold": 4},
        "lifecycle": {"preStop": {"sleep": {"seconds": ENDPOINT_SETTLE_SECONDS}}},
        # Writable root until a real cluster shows vLLM, Triton and torch.compile keep every write
        # under HOME and /tmp (the policy work of the hardening issue decides).
        "securityContext": container_security_context(read_only_root=False),
        "volumeMounts": [
            {"name": "model-cache", "mountPath": MOUNT_PATH, "readOnly": True},
            {"name": "dshm", "mountPath": "/dev/shm"},
            {"name": "home", "mountPath": HOME},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def wait_for_cache(model: ModelSpec, image: str) -> dict:
    """Init container: the server starts only once the populate Job has verified this revision."""
    marker = marker_path(model)
    limit = model.cache.populate_timeout_seconds
    script = (
        f'waited=0; until [ -f "{marker}" ]; do '
        f'if [ "$waited" -ge {limit} ]; then echo "model cache not populated after {limit}s; '
        f'check the populate Job of {model.name}" >&2; exit 1; fi; '
        f'echo "waiting for {marker}"; sleep 10; waited=$((waited+10)); done'
    )
    return {
        "name": "wait-for-cache",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", script],
        # It only looks for a file, but like everything that mounts the cache it never goes online.
        "env": [{"name": "HF_HUB_OFFLINE", "value": "1"}],
        # requests == limits in every container keeps the pod in the Guaranteed QoS class.
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
        "securityContext": container_security_context(read_only_root=True),
        "volumeMounts": [{"name": "model-cache", "mountPath": MOUNT_PATH, "readOnly": True}],
    }


def pod_spec(model: ModelSpec, pool: NodePool, *, image: str, claim: Any, service_account: Any) -> dict:
    selector = selector_labels(COMPONENT, model.name)
    spec: dict[str, Any] = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": model.drain_seconds,
        "securityContext": pod_security_context(),
        "initContainers": [wait_for_cache(model, image)],
        "containers": [container(model, pool, image)],
        "volumes": [
            {"name": "model-cache", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}},
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": model.resources.shm_size}},
            {"name": "home", "emptyDir": {"sizeLimit": "8Gi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "4Gi"}},
        ],
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": selector}, "matchLabelKeys": ["pod-template-hash"]}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ],
    }
    affinity = node_affinity_for(pool)
    if affinity:
        spec["affinity"] = affinity
    tolerations = tolerations_for(pool)
    if tolerations:
        spec["tolerations"] = tolerations
    return spec


def rolling_update(surge: bool) -> dict:
    """Start each new pod before stopping an old one when the pool has room for it; otherwise replace
    one pod at a time, since a surge pod that can never be scheduled would stall the rollout."""
    if surge:
        return {"maxUnavailable": 0, "maxSurge": 1}
    return {"maxUnavailable": 1, "maxSurge": 0}


def deployment(model: ModelSpec, pool: NodePool, *, namespace: Any, labels: dict, image: str, claim: Any,
               service_account: Any, surge: bool = True) -> dict:
    pod_labels = {**labels, POOL_LABEL: pool.name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": model.name, "namespace": namespace, "labels": labels,
                     "annotations": scan_exceptions(PULL_IF_NOT_PRESENT, TAG_NOT_DIGEST, IMAGE_USER, WRITABLE_ROOT)},
        "spec": {
            "replicas": model.replicas.min,
            "revisionHistoryLimit": 3,
            # Loading weights may legitimately take as long as the startup budget.
            "progressDeadlineSeconds": startup_budget(model) + 300,
            "selector": {"matchLabels": selector_labels(COMPONENT, model.name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": rolling_update(surge)},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": pod_spec(model, pool, image=image, claim=claim, service_account=service_account),
            },
        },
    }


def service(model: ModelSpec, *, namespace: Any, labels: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": model.name, "namespace": namespace, "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(COMPONENT, model.name),
            "ports": [{"name": PORT_NAME, "port": PORT, "targetPort": PORT_NAME, "protocol": "TCP", "appProtocol": "http"}],
        },
    }


def pod_disruption_budget(model: ModelSpec, *, namespace: Any, labels: dict) -> dict:
    # maxUnavailable rather than minAvailable: a single replica must not block node drains forever.
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": model.name, "namespace": namespace, "labels": labels},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(COMPONENT, model.name)}},
    }


def service_account(model: ModelSpec, *, namespace: Any, labels: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": model.name, "namespace": namespace, "labels": labels},
        "automountServiceAccountToken": False,
    }


def image_for(model: ModelSpec, pool: NodePool) -> str:
    return model.image or (VLLM_GPU if pool.is_gpu else VLLM_CPU).reference
