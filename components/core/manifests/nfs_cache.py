"""The model cache on one NFS share, a directory per claim, through the pinned
nfs-subdir-external-provisioner: used where a cloud's own file storage would make one file system
per claim at a large minimum size (Filestore on GKE, Azure Files Premium on AKS).

The provisioner makes each claim's directory `<namespace>/<claim>` under the share with mode 0777
(cmd/nfs-subdir-external-provisioner/provisioner.go at tag v4.0.2: MkdirAll and Chmod 0777), so the
populate Job (uid 2000) writes to it whatever the share's ownership."""

from __future__ import annotations

from typing import Any

from ..cluster import SystemPlacement

NFS_PROVISIONER = "cluster.local/nfs-subdir-external-provisioner"
"""The chart names its provisioner cluster.local/<fullname> (templates/_helpers.tpl), the release's
name, which is the chart's (components/kubernetes/helm.py)."""
PATH_PATTERN = "${.PVC.namespace}/${.PVC.name}"
"""Each claim's directory under the share: its namespace, then its name."""


def provisioner_values(class_name: str, retain: bool, server: Any, path: Any, mount_options: list[str],
                       system: SystemPlacement) -> dict:
    """nfs-subdir-external-provisioner 4.0.18 values (keys checked against its values.yaml in tests).
    A retained cache keeps its volumes after their claims go (reclaimPolicy Retain)."""
    return {
        "nfs": {"server": server, "path": path, "mountOptions": list(mount_options)},
        "storageClass": {
            "create": True, "name": class_name, "defaultClass": False,
            "reclaimPolicy": "Retain" if retain else "Delete", "archiveOnDelete": False,
            "pathPattern": PATH_PATTERN, "volumeBindingMode": "Immediate", "allowVolumeExpansion": True,
        },
        **system.scheduling(),
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
    }
