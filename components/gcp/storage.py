"""Storage on GKE: the model caches on one Filestore instance, a subdirectory per claim through a
pinned NFS provisioner, and an encrypted pd-balanced StorageClass for everything else.

Why not the Filestore CSI driver's own classes: it makes one instance per claim, at least 1 TiB
(2.5 TiB on Basic SSD) each, so one model would cost a whole instance. As on EKS (one EFS file
system, an access point per claim), one instance holds every model here; it is protected while the
cache is retained. Filestore exports without root squashing by default, so the provisioner (root)
makes each claim's directory, mode 0777, which the populate Job (uid 2000) writes to. See DESIGN.md.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.cluster import SystemPlacement
from ..core.labels import CostLabels, platform_labels
from ..kubernetes._base import ComponentArgs, InputStr, resource_kwargs, waits_for
from ..kubernetes.nfs_cache import nfs_cache_class
from ._base import TOKEN_PREFIX
from ._base import gcp as load_gcp
from .spec import PD_PROVISIONER, GkeStorageSpec

gcp = load_gcp()

SHARE = "models"
"""The Filestore file share (at most 16 characters); the NFS export is /<share>."""
NFS_MOUNT_OPTIONS = ["nfsvers=3", "hard"]
"""Filestore serves NFSv3."""


def block_storage_class(name: str, labels: dict) -> dict:
    """The cluster's default class: pd-balanced through the PD CSI driver, encrypted at rest by
    Compute Engine, created in the zone of the pod that first uses it."""
    return {
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": name, "labels": labels,
                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": PD_PROVISIONER, "parameters": {"type": "pd-balanced"},
        "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True,
    }


class GkeStorageArgs(ComponentArgs):
    spec: GkeStorageSpec
    location: str
    """The instance's zone (zonal tiers) or region: GkeClusterSpec.filestore_location."""
    network: InputStr
    """The VPC's name: Filestore peers with it."""
    system: SystemPlacement
    gcp_provider: pulumi.ProviderResource
    kubernetes: pulumi.ProviderResource
    cost: CostLabels


class GkeStorage(pulumi.ComponentResource):
    instance_ip: pulumi.Output[str]
    storage_classes: list[pulumi.Resource]

    def __init__(self, name: str, args: GkeStorageArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:GkeStorage", name, None, opts)
        spec = args.spec
        retain = spec.retain_model_cache
        instance = gcp.filestore.Instance(
            f"{name}-models", tier=spec.filestore.tier, location=args.location,
            file_shares={"name": SHARE, "capacity_gb": spec.filestore.capacity_gib},
            networks=[{"network": args.network, "modes": ["MODE_IPV4"], "connect_mode": "DIRECT_PEERING"}],
            deletion_protection_enabled=retain,
            # Weights take hours to download; a `pulumi destroy` must not take them by accident.
            opts=pulumi.ResourceOptions(parent=self, provider=args.gcp_provider, protect=retain),
        )
        self.instance_ip = instance.networks.apply(lambda networks: networks[0].ip_addresses[0])
        labels = platform_labels(args.cost)
        # The provisioner needs a node to run on: what the component waits for (the system pool).
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.kubernetes, depends_on=waits_for(opts) or None)
        models = nfs_cache_class(name, self, class_name=spec.model_cache_class, retain=retain, server=self.instance_ip,
                                 path=f"/{SHARE}", mount_options=NFS_MOUNT_OPTIONS, system=args.system, labels=labels,
                                 opts=k8s_opts)
        block = k8s.storage.v1.StorageClass(f"{name}-{spec.block_class}",
                                            **resource_kwargs(block_storage_class(spec.block_class, labels)), opts=k8s_opts)
        self.storage_classes = [models, block]
        self.register_outputs({"instance_ip": self.instance_ip})
