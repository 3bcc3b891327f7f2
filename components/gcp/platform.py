"""The GKE platform: the cluster and its node pools, the model cache's storage and the GPU metrics
exporter, producing the same Platform contract as any other cluster. GKE installs the GPU driver and
runs the device plugin; no GPU Operator (DESIGN.md).

Dependencies carry the deletion order, as on EKS: storage and the exporter wait for the system pool
(their controllers need a node), and the serving layer waits for `Platform.ready`, so it is deleted first.
"""

from __future__ import annotations

from typing import Optional

import pulumi

from ..core.labels import CostLabels
from ..kubernetes._base import ComponentArgs
from ..platform.contract import Platform
from .builders import gpu_node_ceiling, node_pools
from ._base import TOKEN_PREFIX
from .cluster import GkeCluster, GkeClusterArgs
from .gpu_metrics import GkeGpuMetrics, GkeGpuMetricsArgs
from .spec import GPU_TAINT, GkeClusterSpec
from .storage import GkeStorage, GkeStorageArgs


class GkePlatformArgs(ComponentArgs):
    spec: GkeClusterSpec
    cost: CostLabels


class GkePlatform(pulumi.ComponentResource):
    platform: Platform
    kubeconfig: pulumi.Output[str]
    cluster_name: pulumi.Output[str]

    def __init__(self, name: str, args: GkePlatformArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:GkePlatform", name, None, opts)
        spec = args.spec
        contract = spec.contract()
        cluster = GkeCluster(f"{name}-gke", GkeClusterArgs(spec=spec, cost=args.cost), pulumi.ResourceOptions(parent=self))
        system_nodes = cluster.node_pools[0]
        storage = GkeStorage(f"{name}-storage", GkeStorageArgs(
            spec=spec.storage, location=spec.filestore_location, network=cluster.network_name,
            system=contract.system, gcp_provider=cluster.gcp_provider, kubernetes=cluster.kubernetes, cost=args.cost,
        ), pulumi.ResourceOptions(parent=self, providers=[cluster.kubernetes], depends_on=[system_nodes]))
        metrics = GkeGpuMetrics(f"{name}-gpu-metrics", GkeGpuMetricsArgs(
            gpu_taints=[GPU_TAINT], max_gpu_nodes=gpu_node_ceiling(node_pools(spec)), cost=args.cost,
        ), pulumi.ResourceOptions(parent=self, providers=[cluster.kubernetes], depends_on=[system_nodes]))
        self.platform = Platform(provider=cluster.kubernetes, cluster=contract,
                                 ready=(*cluster.node_pools, *storage.storage_classes, metrics.release),
                                 gpu_metrics=metrics.target)
        self.kubeconfig = cluster.kubeconfig
        self.cluster_name = cluster.cluster_name
        self.register_outputs({"kubeconfig": self.kubeconfig, "cluster_name": self.cluster_name})
