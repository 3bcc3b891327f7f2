"""The NVIDIA GPU Operator's typed settings and the chart values they become.

The operator runs the device plugin (which advertises `nvidia.com/gpu`), GPU Feature Discovery
(which sets the `nvidia.com/gpu.product` label serving pods select) and the DCGM exporter (GPU
metrics). Driver and container toolkit are installed by the operator only where the node image
lacks them. Keys below exist in the pinned chart's values.yaml; a test checks every one.
"""

from __future__ import annotations

from typing import Literal, Optional

import pydantic
import yaml

from .base import Spec
from .catalog import metrics
from .catalog.gpus import GPU_RESOURCE
from .cluster import SystemPlacement, Taint

TIME_SLICING_CONFIG = "llmstack-time-slicing"
DCGM_METRICS_CONFIG = "llmstack-dcgm-metrics"
XID_WINDOW_ENV = "DCGM_EXPORTER_XID_COUNT_WINDOW_SIZE"


class GpuOperatorSpec(Spec):
    install: bool = pydantic.Field(default=True, description=(
        "false: the cluster already runs the GPU Operator (and NFD); install none, and describe its sharing in timeSlicing"))
    time_slicing: Optional[int] = pydantic.Field(
        default=None, ge=2, le=16,
        description="advertise each GPU to this many pods; models on shared GPUs must take a share of memory",
    )
    dcgm_service_monitor: bool = pydantic.Field(default=False, description="create a ServiceMonitor for the DCGM exporter (needs the Prometheus Operator CRDs)")
    node_feature_discovery: Literal["bundled", "preinstalled"] = pydantic.Field(
        default="bundled", description="install NFD with the operator, or use the cluster's own"
    )

    @pydantic.model_validator(mode="after")
    def _settings_need_our_operator(self) -> "GpuOperatorSpec":
        if self.install:
            return self
        names = self.given("dcgm_service_monitor", "node_feature_discovery")
        if names:
            raise ValueError(f"{names}: settings of the GPU Operator the stack installs, but install is false: "
                             "configure the cluster's own operator instead, or drop them")
        return self


def time_slicing_config(replicas: int) -> str:
    """The device plugin's sharing config (NVIDIA gpu-operator docs, gpu-sharing). Resources keep
    their name, and GFD marks shared GPUs with a -SHARED product label, which the serving layer selects."""
    return yaml.safe_dump({
        "version": "v1",
        "sharing": {"timeSlicing": {"resources": [{"name": GPU_RESOURCE, "replicas": replicas}]}},
    }, sort_keys=False)


def dcgm_exporter_values(spec: GpuOperatorSpec) -> dict:
    """The exporter with the default metrics and the Xid count, so a repeat of the same Xid is seen.
    `config` is read by the chart's templates (dcgm_exporter_config.yaml: a ConfigMap with key
    dcgm-metrics.csv; clusterpolicy.yaml: its name), though its values.yaml shows it only as a comment."""
    return {
        "enabled": True,
        "config": {"name": DCGM_METRICS_CONFIG, "create": True, "data": metrics.dcgm_collectors_csv()},
        "env": [{"name": XID_WINDOW_ENV, "value": str(metrics.XID_COUNT_WINDOW_MS)}],
        "serviceMonitor": {"enabled": spec.dcgm_service_monitor},
    }


def helm_values(spec: GpuOperatorSpec, *, driver_preinstalled: bool, system: SystemPlacement,
                gpu_taints: list[Taint], runtime_class: Optional[str] = None) -> dict:
    """Chart values: operands on GPU nodes (tolerating exactly the GPU taints), controllers on the system pool.
    `runtime_class` names the node's own NVIDIA containerd runtime where the node image brings one
    under another name than the chart's `nvidia` (AKS: nvidia-container-runtime): the Operator makes a
    RuntimeClass of that name and handler and runs its operands with it."""
    system_scheduling = {
        **system.scheduling(),
        "nodeSelector": {"kubernetes.io/os": "linux", **system.node_selector},
        **({"runtimeClass": runtime_class} if runtime_class else {}),
    }
    device_plugin: dict = {"enabled": True}
    if spec.time_slicing:
        device_plugin["config"] = {
            "create": True, "name": TIME_SLICING_CONFIG, "default": "shared",
            "data": {"shared": time_slicing_config(spec.time_slicing)},
        }
    gpu_tolerations = [{"key": t.key, "operator": "Exists", "effect": t.effect} for t in gpu_taints]
    values = {
        "operator": system_scheduling,
        "daemonsets": {"tolerations": gpu_tolerations},
        "driver": {"enabled": not driver_preinstalled},
        "toolkit": {"enabled": not driver_preinstalled},
        "devicePlugin": device_plugin,
        "gfd": {"enabled": True},
        "dcgmExporter": dcgm_exporter_values(spec),
        "nfd": {"enabled": spec.node_feature_discovery == "bundled"},
    }
    if spec.node_feature_discovery == "bundled":
        values["node-feature-discovery"] = {
            "master": {"nodeSelector": system.node_selector},
            "gc": {"nodeSelector": system.node_selector},
            "worker": {"tolerations": gpu_tolerations},
        }
    return values
