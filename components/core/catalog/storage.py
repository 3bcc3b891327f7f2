"""Storage provisioners: whether kubelet's volume stats (kubelet_volume_stats_used_bytes and
_capacity_bytes, per claim) measure a claim of a class that uses the provisioner. Kubelet reports them
only for volumes whose plugin measures them, and reports what the plugin measures, which is not always
the claim: an alert on a claim's fullness can only be written for provisioners marked `True` here.

Sources:
- ebs.csi.aws.com: the node plugin advertises GET_VOLUME_STATS and answers NodeGetVolumeStats with
  statfs of the volume's own file system, so capacity is the EBS volume, sized by the claim
  (kubernetes-sigs/aws-ebs-csi-driver pkg/driver/node.go, NodeGetCapabilities and NodeGetVolumeStats).
- efs.csi.aws.com: GET_VOLUME_STATS is advertised only with `--vol-metrics-opt-in` (default false,
  chart value node.volMetricsOptIn); with it, used is a `du` of the access point but capacity is statfs
  of the NFS mount, the whole elastic file system (kubernetes-sigs/aws-efs-csi-driver
  pkg/driver/vol_statter.go, computeDiskUsage), so used/capacity stays near zero however full the claim.
- rancher.io/local-path (kind, k3d): claims become hostPath PersistentVolumes (rancher/local-path-provisioner
  provisioner.go, Provision; the default volume type), and kubelet's hostPath plugin reports no metrics
  (kubernetes/kubernetes pkg/volume/hostpath/host_path.go: hostPath embeds volume.MetricsNil).
- cluster.local/nfs-subdir-external-provisioner (the GKE and AKS model caches): claims become plain NFS
  PersistentVolumes on a subdirectory (nfs-subdir-external-provisioner provisioner.go), and kubelet's NFS
  plugin measures statfs of the mount, the whole Filestore or Azure Files share (kubernetes/kubernetes
  pkg/volume/nfs: MetricsStatFS), not the claim.
- any other provisioner: not known to measure the claim, so no claim alert is written for it.
"""

from __future__ import annotations

CLAIM_VOLUME_STATS: dict[str, bool] = {
    "ebs.csi.aws.com": True,
    "efs.csi.aws.com": False,
    "rancher.io/local-path": False,
    "cluster.local/nfs-subdir-external-provisioner": False,
}
"""Provisioner -> whether kubelet volume stats measure the claim itself."""


def reports_claim_volume_stats(provisioner: str) -> bool:
    """True only where a claim's used and capacity bytes are known to be the claim's own; unknown
    provisioners are False, so an alert is never written that could not fire."""
    return CLAIM_VOLUME_STATS.get(provisioner, False)
