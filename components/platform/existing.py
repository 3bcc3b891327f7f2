"""An existing Kubernetes cluster, reached through a kubeconfig, described by config."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.cluster import ClusterSpec
from ..kubernetes._base import ComponentArgs, child
from .contract import Platform


class ExistingClusterArgs(ComponentArgs):
    """A cluster you already run: what it offers (`cluster`: pools, storage classes, system placement),
    and how to reach it (a kubeconfig `context` and file; unset: the current context and $KUBECONFIG)."""

    cluster: ClusterSpec
    context: Optional[str] = None
    kubeconfig: Optional[str] = None


class ExistingCluster(pulumi.ComponentResource):
    """`ExistingCluster(name, ExistingClusterArgs(...), opts)`: an explicit Kubernetes provider for the
    cluster, and the Platform contract the serving components place models by. It creates nothing else."""

    platform: Platform

    def __init__(self, name: str, args: ExistingClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("llmstack:platform:ExistingCluster", name, None, opts)
        provider = k8s.Provider(
            f"{name}-provider",
            context=args.context,
            kubeconfig=args.kubeconfig,
            opts=child(self),
        )
        self.platform = Platform(provider=provider, cluster=args.cluster)
        self.register_outputs({})
