"""Pure builders of the AKS platform's Azure resources: what each agent pool is, and the cluster's
network and system pool profiles, as plain data the components pass to pulumi-azure-native."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Optional

from ..core.cluster import SYSTEM_POOL, Taint
from ..core.labels import POOL_LABEL
from .spec import SPOT_TAINT, AksClusterSpec, pool_labels
from .vm_sizes import MAX_PODS

OS_SKU = "Ubuntu"
"""Ubuntu nodes: AKS installs the GPU driver and toolkit there, and the GPU Operator supports them
(not Windows, Flatcar or Azure Linux OS Guard: AKS nvidia-gpu-operator.md)."""
# Settings AKS cannot change on an existing agent pool but pulumi-azure-native does not mark as
# replacing it (DESIGN.md): a change must replace the pool rather than fail at Azure.
POOL_REPLACED_ON = ["scaleSetPriority", "scaleSetEvictionPolicy", "availabilityZones", "vnetSubnetID", "osDiskSizeGB",
                    "osSKU", "maxPods", "gpuProfile"]


def taint(t: Taint) -> str:
    """An AKS node taint: key=value:Effect."""
    return f"{t.key}={t.value}:{t.effect}"


@dataclass(frozen=True)
class AgentPoolPlan:
    """One AKS agent pool: a GPU pool, or a spot pool's spot or on-demand half."""

    key: str
    """The agent pool's name (also the Pulumi resource name's suffix)."""
    pool: str
    vm_size: str
    min_nodes: int
    max_nodes: int
    disk_gib: int
    zones: tuple[str, ...]
    spot: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()

    def args(self) -> dict[str, Any]:
        """AgentPool keyword arguments (pulumi-azure-native 3.29.0, containerservice 2025-09-01)."""
        spot = {"scale_set_priority": "Spot", "scale_set_eviction_policy": "Delete", "spot_max_price": -1} if self.spot else {}
        return {
            "agent_pool_name": self.key, "mode": "User", "type": "VirtualMachineScaleSets", "vm_size": self.vm_size,
            # count is required at creation; the autoscaler owns it afterwards (ignore_changes).
            "count": self.min_nodes, "min_count": self.min_nodes, "max_count": self.max_nodes, "enable_auto_scaling": True,
            "os_type": "Linux", "os_sku": OS_SKU, "os_disk_size_gb": self.disk_gib, "max_pods": MAX_PODS,
            "availability_zones": list(self.zones) or None,
            "node_labels": dict(self.labels), "node_taints": [taint(t) for t in self.taints],
            # AKS installs the driver and toolkit; the GPU Operator brings the rest (DESIGN.md).
            "gpu_profile": {"driver": "Install"},
            **spot,
        }


def agent_pools(spec: AksClusterSpec) -> list[AgentPoolPlan]:
    """Each GPU pool's agent pools; a spot pool with a fallback gets an on-demand twin, which the
    autoscaler grows only when spot is short. Every label a model's affinity names is set here."""
    contract = spec.contract()
    plans = []
    for pool in spec.gpu_pools:
        promised = contract.pool(pool.name)
        key, *fallback = pool.node_pool_names
        common = dict(pool=pool.name, vm_size=pool.vm_size, max_nodes=pool.max_nodes, disk_gib=pool.disk_gib,
                      zones=tuple(spec.availability_zones), labels=pool_labels(spec, pool))
        plans.append(AgentPoolPlan(key=key, min_nodes=pool.min_nodes, spot=pool.capacity_type == "spot",
                                   taints=tuple(promised.taints), **common))
        plans += [AgentPoolPlan(key=twin, min_nodes=0, taints=tuple(t for t in promised.taints if t != SPOT_TAINT), **common) for twin in fallback]
    return plans


SPOT_FIRST, OTHERS = 20, 10


def expander_priorities(plans: list[AgentPoolPlan]) -> dict[int, list[str]]:
    """The priority expander's patterns: spot agent pools first, their on-demand twins after. AKS's
    node groups are the pools' scale sets, named aks-<pool>-<digits>-vmss; pool names are lower-case
    letters and digits, literal in a regex."""
    priorities: dict[int, list[str]] = {}
    for plan in plans:
        priorities.setdefault(SPOT_FIRST if plan.spot else OTHERS, []).append(f"^aks-{plan.key}-[0-9]+-vmss$")
    return priorities


AUTOSCALER_PROFILE = {"expander": "priority", "skip_nodes_with_local_storage": "false"}
"""The priority expander (spot first; without its ConfigMap the autoscaler falls back, kubernetes/
autoscaler#5246), and GPU nodes allowed to scale down although vLLM pods use emptyDir volumes."""


def system_pool_profile(spec: AksClusterSpec, subnet_id: Any) -> dict[str, Any]:
    """The System-mode pool, the one AKS needs at creation (inline in the cluster)."""
    system = spec.system_pool
    return {
        "name": SYSTEM_POOL, "mode": "System", "type": "VirtualMachineScaleSets", "vm_size": system.vm_size,
        "count": system.min_nodes, "min_count": system.min_nodes, "max_count": system.max_nodes,
        "enable_auto_scaling": True, "os_type": "Linux", "os_sku": OS_SKU, "os_disk_size_gb": system.disk_gib,
        "max_pods": MAX_PODS, "vnet_subnet_id": subnet_id, "availability_zones": list(spec.availability_zones) or None,
        "node_labels": {POOL_LABEL: SYSTEM_POOL},
    }


def network_profile(spec: AksClusterSpec) -> dict[str, Any]:
    """Azure CNI Overlay with the Cilium dataplane, which enforces NetworkPolicies."""
    network = spec.network
    return {
        "network_plugin": "azure", "network_plugin_mode": "overlay", "network_dataplane": "cilium",
        "network_policy": "cilium", "pod_cidr": network.pods_cidr, "service_cidr": network.services_cidr,
        "dns_service_ip": network.dns_service_ip, "load_balancer_sku": "standard", "outbound_type": "loadBalancer",
    }


def authorized_ranges(spec: AksClusterSpec) -> Optional[list[str]]:
    """The API server's authorized IP ranges; none (open) when everyone is allowed."""
    return None if spec.public_access_cidrs == ["0.0.0.0/0"] else list(spec.public_access_cidrs)


def kubeconfig(encoded: str) -> str:
    """The user kubeconfig AKS returns, base64-encoded."""
    return base64.b64decode(encoded).decode()
