"""What each GKE resource is given, as plain data from the spec: pure, tested without Pulumi.

Argument names are pulumi-gcp 10.2.0's (checked against its wheel, see DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..core.catalog.gpus import GPU_PRODUCT_LABEL, product_label
from ..core.cluster import Taint
from ..core.labels import POOL_LABEL
from ..core.cluster import SYSTEM_POOL
from .spec import GkeClusterSpec

# Google's least-privilege role for node service accounts (CIS GKE Benchmark v2.0.0, 5.2.1: "the node
# service account should have the roles/container.defaultNodeServiceAccount role"), and image pulls
# from Artifact Registry.
NODE_ROLES = ("roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader")
# The driver installer downloads from Cloud Storage (GKE "Run GPUs": without devstorage.read_only the
# pool fails with AccessDenied); cloud-platform covers it, and IAM (the roles above) limits the rest.
OAUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
PODS_RANGE, SERVICES_RANGE = "pods", "services"
_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def taint(t: Taint) -> dict:
    return {"key": t.key, "value": t.value, "effect": _EFFECTS[t.effect]}


@dataclass(frozen=True)
class NodePoolPlan:
    """One GKE node pool: the system pool, a GPU pool, or a spot pool's spot or on-demand half."""

    key: str
    """The GKE node pool's name (also the Pulumi resource name's suffix)."""
    pool: str
    """The config pool it serves (its llmstack.dev/pool label)."""
    machine_type: str
    min_nodes: int
    max_nodes: int
    disk_gib: int
    locations: tuple[str, ...]
    spot: bool = False
    gpu: Optional[str] = None
    accelerator: Optional[str] = None
    gpus: int = 0
    sharing: int = 1
    """GKE time-sharing: containers per GPU (1: whole GPUs)."""
    taints: tuple[Taint, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)

    def node_config(self, service_account: Any) -> dict:
        config: dict[str, Any] = {
            "machine_type": self.machine_type, "spot": self.spot, "disk_size_gb": self.disk_gib,
            "image_type": "COS_CONTAINERD",
            "labels": dict(self.labels), "taints": [taint(t) for t in self.taints],
            "service_account": service_account, "oauth_scopes": list(OAUTH_SCOPES),
            "workload_metadata_config": {"mode": "GKE_METADATA"},
            "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        }
        if self.accelerator:
            config["guest_accelerators"] = [{
                "type": self.accelerator, "count": self.gpus,
                # GKE installs its default driver for the node version and runs its device plugin.
                "gpu_driver_installation_config": {"gpu_driver_version": "DEFAULT"},
                # Each GPU advertised `sharing` times as nvidia.com/gpu; GKE labels the nodes
                # cloud.google.com/gke-gpu-sharing-strategy and ...-max-shared-clients-per-gpu.
                **({"gpu_sharing_config": {"gpu_sharing_strategy": "TIME_SHARING", "max_shared_clients_per_gpu": self.sharing}}
                   if self.sharing > 1 else {}),
            }]
        return config

    @property
    def initial_nodes_per_zone(self) -> int:
        """The system pool starts at its minimum, spread over its zones (controllers need nodes at
        once); GPU pools start empty and grow on demand (GKE's ANY location policy, used for spot,
        requires 0). Only read at creation: the node pool ignores later changes of it, which would
        replace the pool."""
        if self.key != SYSTEM_POOL:
            return 0
        return max(1, -(-self.min_nodes // len(self.locations)))

    def autoscaling(self) -> dict:
        """Totals over the pool's zones (the contract's bounds); spot capacity is taken where it is."""
        return {"total_min_node_count": self.min_nodes, "total_max_node_count": self.max_nodes,
                "location_policy": "ANY" if self.spot else "BALANCED"}


def node_pools(spec: GkeClusterSpec) -> list[NodePoolPlan]:
    """The system pool first (everything else waits for it), then each GPU pool; a spot pool with a
    fallback gets an on-demand twin, which the autoscaler grows only when spot is short (its
    expander prefers the spot one: cheaper)."""
    system = spec.system_pool
    plans = [NodePoolPlan(key=SYSTEM_POOL, pool=SYSTEM_POOL, machine_type=system.machine_type,
                          min_nodes=system.min_nodes, max_nodes=system.max_nodes, disk_gib=system.disk_gib,
                          locations=tuple(spec.zones), labels={POOL_LABEL: SYSTEM_POOL})]
    contract = {p.name: p for p in spec.contract().pools}
    for pool in spec.gpu_pools:
        machine, (key, *fallback) = pool.machine, pool.node_pool_names
        common = dict(pool=pool.name, machine_type=machine.name, max_nodes=pool.max_nodes, disk_gib=pool.disk_gib,
                      locations=tuple(spec.pool_zones(pool)), gpu=machine.gpu, accelerator=machine.accelerator,
                      gpus=machine.gpus, sharing=contract[pool.name].gpu_sharing, taints=tuple(contract[pool.name].taints),
                      # Every label the models' required node affinity names, set at creation: GKE
                      # runs no GPU Feature Discovery, so the GPU product label is the pool's own too,
                      # with GFD's -SHARED suffix where GPUs are time-shared, as the contract says.
                      labels={**contract[pool.name].labels,
                              GPU_PRODUCT_LABEL: product_label(machine.gfd_product, contract[pool.name].gpu_sharing)})
        plans.append(NodePoolPlan(key=key, min_nodes=pool.min_nodes, spot=pool.capacity_type == "spot", **common))
        plans += [NodePoolPlan(key=twin, min_nodes=0, **common) for twin in fallback]  # spot's on-demand twin
    return plans


def gpu_node_ceiling(plans: list[NodePoolPlan]) -> int:
    """GPU nodes the pools may hold at once: each pool's maximum, plus a surge node per zone while
    GKE upgrades it (its default surge upgrade adds one node at a time)."""
    return sum(plan.max_nodes + len(plan.locations) for plan in plans if plan.accelerator)


def kubeconfig(name: str, endpoint: str, ca_certificate: str) -> str:
    """A kubeconfig for the cluster that authenticates with gke-gcloud-auth-plugin (the user's gcloud login)."""
    import json

    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": name,
        "clusters": [{"name": name, "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca_certificate}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "users": [{"name": name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "gke-gcloud-auth-plugin",
            "provideClusterInfo": True,
            "installHint": "gcloud components install gke-gcloud-auth-plugin",
        }}}],
    })
