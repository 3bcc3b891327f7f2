"""Storage on AKS: the model caches on one Azure Files Premium share over NFS 4.1, a directory per
claim through the pinned NFS provisioner (as on GKE), reached from the nodes' subnet only.

One share for every model, not the Azure Files CSI driver's share per claim: the share is created
and protected by Pulumi while the cache is retained, as the EFS file system is on EKS, and a premium
share's throughput grows with its size (100 + 0.1 MiB/s per provisioned GiB), which one larger
share gives every model. NFS on Azure Files has no TLS: the account refuses every network but the
nodes' subnet (service endpoint), and secure transfer is off, as NFS requires. The share does not
squash root, so the provisioner makes each claim's directory, mode 0777, for the populate Job (uid
2000). Block storage is AKS's own Premium SSD class. See DESIGN.md.
"""

from __future__ import annotations

import hashlib
import re
from typing import Optional

import pulumi

from ..core.cluster import SystemPlacement
from ..core.labels import CostLabels, platform_labels
from ..kubernetes._base import ComponentArgs, InputStr, waits_for
from ..kubernetes.nfs_cache import nfs_cache_class
from ._base import TOKEN_PREFIX
from ._base import azure as load_azure
from .spec import AksStorageSpec

azure = load_azure()
storage = azure.storage

SHARE = "models"
NFS_MOUNT_OPTIONS = ["nfsvers=4.1", "sec=sys", "nconnect=4"]
"""Azure Files serves NFS 4.1; nconnect=4 spreads one client's reads over four connections
(azure-docs nfs-performance.md: no gain beyond four)."""


def account_name(resource_group: str, cluster: str) -> str:
    """A storage account name: 3-24 lower-case letters and digits, unique in Azure; the cluster's
    name and a hash of its resource group, so it is the same on every run."""
    stem = re.sub(r"[^a-z0-9]", "", cluster.lower())[:14] or "llm"
    return stem + hashlib.sha256(f"{resource_group}/{cluster}".encode()).hexdigest()[:24 - len(stem)]


def nfs_export(account: str) -> tuple[str, str]:
    """The NFS server and path of the share (azure-docs storage-files-how-to-mount-nfs-shares)."""
    return f"{account}.file.core.windows.net", f"/{account}/{SHARE}"


class AksStorageArgs(ComponentArgs):
    spec: AksStorageSpec
    region: str
    resource_group_name: InputStr
    resource_group: str
    """The resource group's configured name, for the account's stable name."""
    cluster: str
    subnet_id: InputStr
    system: SystemPlacement
    azure_provider: pulumi.ProviderResource
    kubernetes: pulumi.ProviderResource
    cost: CostLabels


class AksStorage(pulumi.ComponentResource):
    storage_classes: list[pulumi.Resource]

    def __init__(self, name: str, args: AksStorageArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:AksStorage", name, None, opts)
        spec = args.spec
        retain = spec.retain_model_cache
        tags = platform_labels(args.cost)
        # Weights take hours to download; a `pulumi destroy` must not take them by accident.
        azure_opts = pulumi.ResourceOptions(parent=self, provider=args.azure_provider, protect=retain)
        name_ = account_name(args.resource_group, args.cluster)
        account = storage.StorageAccount(
            f"{name}-models", resource_group_name=args.resource_group_name, account_name=name_, location=args.region,
            kind="FileStorage", sku={"name": spec.files.sku}, enable_https_traffic_only=False,
            minimum_tls_version="TLS1_2", allow_blob_public_access=False, public_network_access="Enabled",
            network_rule_set={"default_action": "Deny", "bypass": "AzureServices",
                              "virtual_network_rules": [{"virtual_network_resource_id": args.subnet_id, "action": "Allow"}]},
            tags=tags, opts=azure_opts)
        share = storage.FileShare(
            f"{name}-models-share", resource_group_name=args.resource_group_name, account_name=account.name,
            share_name=SHARE, share_quota=spec.files.share_gib, enabled_protocols="NFS", root_squash="NoRootSquash",
            opts=azure_opts)
        server, path = nfs_export(name_)
        # The provisioner needs a node and the share: what the component waits for (the system pool), and the share.
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.kubernetes, depends_on=[share, *waits_for(opts)])
        models = nfs_cache_class(name, self, class_name=spec.model_cache_class, retain=retain, server=server, path=path,
                                 mount_options=NFS_MOUNT_OPTIONS, system=args.system, labels=tags, opts=k8s_opts)
        self.storage_classes = [models]
        self.register_outputs({})


