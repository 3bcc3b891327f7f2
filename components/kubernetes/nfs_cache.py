"""The NFS provisioner's release in its own namespace, making the model cache's StorageClass."""

from __future__ import annotations

from typing import Any, Optional

import pulumi

from ..core.catalog.charts import NFS_SUBDIR_PROVISIONER
from ..core.cluster import SystemPlacement
from ..core.manifests.nfs_cache import provisioner_values
from .helm import chart_namespace, release


def nfs_cache_class(name: str, parent: pulumi.Resource, *, class_name: str, retain: bool, server: Any, path: Any,
                    mount_options: list[str], system: SystemPlacement, labels: dict,
                    opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.Resource:
    """The release (its StorageClass is the chart's); its pod mounts the share, a volume type the
    "restricted" Pod Security level forbids, so its namespace is "baseline"."""
    namespace = chart_namespace(f"{name}-nfs", NFS_SUBDIR_PROVISIONER, labels, parent, pod_security="baseline")
    return release(f"{name}-nfs-provisioner", NFS_SUBDIR_PROVISIONER, namespace.metadata.name,
                   provisioner_values(class_name, retain, server, path, mount_options, system), parent, opts=opts)
