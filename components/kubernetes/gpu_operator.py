"""The NVIDIA GPU Operator, pinned: device plugin, GPU Feature Discovery and DCGM exporter on every
GPU node; driver and toolkit only where the node image lacks them."""

from __future__ import annotations

from typing import Optional

import pulumi

from ..core.catalog.charts import GPU_OPERATOR
from ..core.cluster import SystemPlacement, Taint
from ..core.gpu_operator import GpuOperatorSpec, helm_values
from ..core.labels import CostLabels, platform_labels
from ._base import TOKEN_PREFIX, ComponentArgs, waits_for
from .helm import chart_namespace, release


class GpuOperatorArgs(ComponentArgs):
    """The NVIDIA GPU Operator (device plugin, GPU Feature Discovery, DCGM exporter; the driver and toolkit
    unless the nodes ship them), on the system pool, its GPU daemons tolerating the GPU pools' taints."""

    spec: GpuOperatorSpec = GpuOperatorSpec()
    driver_preinstalled: bool
    """True when the node image ships the NVIDIA driver and container toolkit (EKS AL2023 NVIDIA AMIs)."""
    system: SystemPlacement
    gpu_taints: list[Taint]
    """Every taint of the GPU pools (AKS spot pools add their own): the Operator's daemons tolerate them."""
    runtime_class: Optional[str] = None
    """The node image's NVIDIA containerd runtime where it is not the chart's `nvidia` (AKS: nvidia-container-runtime)."""
    cost: CostLabels


class GpuOperator(pulumi.ComponentResource):
    """`GpuOperator(name, GpuOperatorArgs(...), opts)`: see GpuOperatorArgs. A bad argument raises ConfigError naming it."""

    release: pulumi.Resource

    def __init__(self, name: str, args: GpuOperatorArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:GpuOperator", name, None, opts)
        # Operands load kernel modules and mount host paths: this namespace cannot be "restricted".
        namespace = chart_namespace(name, GPU_OPERATOR, platform_labels(args.cost), self, pod_security="privileged")
        values = helm_values(args.spec, driver_preinstalled=args.driver_preinstalled, system=args.system,
                             gpu_taints=args.gpu_taints, runtime_class=args.runtime_class)
        # The operator's pods need a node: wait for what the component waits for (the system pool).
        self.release = release(f"{name}-release", GPU_OPERATOR, namespace.metadata.name, values, self,
                               opts=pulumi.ResourceOptions(depends_on=waits_for(opts)))
        self.register_outputs({})
