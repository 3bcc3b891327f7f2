"""The Platform contract: the seam between "a cluster with GPUs" and "serving models on it".

Each cluster component (an existing cluster, EKS, GKE; AKS later) produces a Platform. The
serving layer asks it, never the cloud: tolerations and node affinity derive from the pool a model
names, and the cache's access mode is checked against the storage class it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.cluster import ClusterSpec
from ..core.monitoring.objects import ScrapeTarget


@dataclass(frozen=True)
class Platform:
    provider: k8s.Provider
    """Explicit Kubernetes provider; every Kubernetes resource of the stack uses it."""
    cluster: ClusterSpec
    """Pools (GPU type, GPUs per node, taints, labels, max nodes), system placement, storage classes."""
    ready: tuple[pulumi.Resource, ...] = field(default_factory=tuple)
    """Resources workloads must wait for (node pools, GPU operator); empty for an existing cluster."""
    gpu_metrics: Optional[ScrapeTarget] = None
    """A GPU metrics exporter the platform runs that nothing scrapes yet (GKE's DCGM exporter): the
    monitoring layer adds its ServiceMonitor once the Prometheus Operator's CRDs exist."""

    def resource_options(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(providers=[self.provider], depends_on=list(self.ready) or None)
