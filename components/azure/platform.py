"""The AKS platform: the cluster and its agent pools, the model cache's storage and the GPU Operator
over AKS's own driver and toolkit, producing the same Platform contract as any other cluster
(DESIGN.md).

Dependencies carry the deletion order, as on EKS and GKE: storage and the Operator wait for the
cluster (its system pool runs their controllers), and the serving layer waits for `Platform.ready`.
"""

from __future__ import annotations

from typing import Optional

import pulumi

from ..core.labels import CostLabels
from ..kubernetes._base import ComponentArgs
from ..kubernetes.gpu_operator import GpuOperator, GpuOperatorArgs
from ..platform.contract import Platform
from ._base import TOKEN_PREFIX
from .cluster import AksCluster, AksClusterArgs
from .spec import GPU_TAINT, SPOT_TAINT, AksClusterSpec
from .storage import AksStorage, AksStorageArgs

RUNTIME_CLASS = "nvidia-container-runtime"
"""AKS's containerd runtime for GPU nodes (AgentBaker's containerd template for N-series sizes),
which the GPU Operator's operands must run with: NVIDIA's AKS recipe sets operator.runtimeClass to it."""


class AksPlatformArgs(ComponentArgs):
    spec: AksClusterSpec
    cost: CostLabels


class AksPlatform(pulumi.ComponentResource):
    platform: Platform
    kubeconfig: pulumi.Output[str]
    cluster_name: pulumi.Output[str]

    def __init__(self, name: str, args: AksPlatformArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:AksPlatform", name, None, opts)
        spec = args.spec
        contract = spec.contract()
        cluster = AksCluster(f"{name}-aks", AksClusterArgs(spec=spec, cost=args.cost), pulumi.ResourceOptions(parent=self))
        system_nodes = cluster.node_pools[0]  # the cluster, with its system pool
        storage = AksStorage(f"{name}-storage", AksStorageArgs(
            spec=spec.storage, region=spec.region, resource_group_name=cluster.resource_group_name,
            resource_group=spec.resource_group_name, cluster=spec.name, subnet_id=cluster.subnet_id,
            system=contract.system, azure_provider=cluster.azure_provider, kubernetes=cluster.kubernetes, cost=args.cost,
        ), pulumi.ResourceOptions(parent=self, providers=[cluster.kubernetes], depends_on=[system_nodes]))
        operator: tuple = ()
        if spec.gpu_operator.install:  # else the cluster's own GPU Operator serves nvidia.com/gpu
            spot = any(p.capacity_type == "spot" for p in spec.gpu_pools)
            operator = (GpuOperator(f"{name}-gpu-operator", GpuOperatorArgs(
                spec=spec.gpu_operator, driver_preinstalled=True, system=contract.system,
                gpu_taints=[GPU_TAINT, *([SPOT_TAINT] if spot else [])], runtime_class=RUNTIME_CLASS, cost=args.cost,
            ), pulumi.ResourceOptions(parent=self, providers=[cluster.kubernetes], depends_on=[system_nodes])),)
        self.platform = Platform(provider=cluster.kubernetes, cluster=contract,
                                 ready=(*cluster.node_pools, *storage.storage_classes, *operator))
        self.kubeconfig = cluster.kubeconfig
        self.cluster_name = cluster.cluster_name
        self.register_outputs({"kubeconfig": self.kubeconfig, "cluster_name": self.cluster_name})
