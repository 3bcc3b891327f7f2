"""Storage on GKE: the model caches on one Filestore instance, a subdirectory per claim through a
pinned NFS provisioner, and an encrypted pd-balanced StorageClass for everything else.

Why not the Filestore CSI driver's own classes: it makes one instance per claim, at least 1 TiB
(2.5 TiB on Basic SSD) each, so one model would cost a whole instance. As on EKS (one EFS file
system, an access point per claim), one instance holds every model here; it is protected while the
cache is retained. Filestore exports without root squashing by default, so the provisioner (root)
makes each claim's directory, mode 0777, which the populate Job (uid 2000) writes to. See DESIGN.md.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.catalog.charts import NFS_SUBDIR_PROVISIONER
from ..core.cluster import SystemPlacement
from ..core.labels import CostLabels, platform_labels
from ..kubernetes._base import ComponentArgs, InputStr, resource_kwargs, waits_for
from ..kubernetes.helm import chart_namespace, release
from ._base import TOKEN_PREFIX
from ._base import gcp as load_gcp
from .spec import PD_PROVISIONER, GkeStorageSpec

gcp = load_gcp()

SHARE = "models"
"""The Filestore file share (at most 16 characters); the NFS export is /<share>."""
PATH_PATTERN = "${.PVC.namespace}/${.PVC.name}"
"""Each claim's directory under the share: its namespace, then its name."""


def provisioner_values(spec: GkeStorageSpec, server: Any, system: SystemPlacement) -> dict:
    """nfs-subdir-external-provisioner 4.0.18 values (keys checked against its values.yaml in tests).
    A retained cache keeps its volumes after their claims go (reclaimPolicy Retain)."""
    retain = spec.retain_model_cache
    return {
        "nfs": {"server": server, "path": f"/{SHARE}", "mountOptions": ["nfsvers=3", "hard"]},
        "storageClass": {
            "create": True, "name": spec.model_cache_class, "defaultClass": False,
            "reclaimPolicy": "Retain" if retain else "Delete", "archiveOnDelete": False,
            "pathPattern": PATH_PATTERN, "volumeBindingMode": "Immediate", "allowVolumeExpansion": True,
        },
        **system.scheduling(),
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
    }


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
        # The provisioner's pod mounts the NFS share: a volume type "restricted" forbids.
        namespace = chart_namespace(f"{name}-nfs", NFS_SUBDIR_PROVISIONER, labels, self, pod_security="baseline")
        models = release(f"{name}-nfs-provisioner", NFS_SUBDIR_PROVISIONER, namespace.metadata.name,
                         provisioner_values(spec, self.instance_ip, args.system), self, opts=k8s_opts)
        block = k8s.storage.v1.StorageClass(f"{name}-{spec.block_class}",
                                            **resource_kwargs(block_storage_class(spec.block_class, labels)), opts=k8s_opts)
        self.storage_classes = [models, block]
        self.register_outputs({"instance_ip": self.instance_ip})
