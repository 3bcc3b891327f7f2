"""The typed description of an AKS platform (`cluster:` with `type: aks`), and its translation into
the cluster contract (DESIGN.md has the evidence behind each check).

Pools name a VM size and nothing else about their hardware: GPU model and count come from the VM
size catalog. A size the catalog refuses, or one the region does not sell (where the catalog knows
the region), is an error at preview, with what to use instead.
"""

from __future__ import annotations

import ipaddress
import re
from typing import ClassVar, Literal, Optional

import pydantic

from ..core.base import Spec
from ..core.catalog.gpus import GPU_PRODUCT_LABEL, GPU_RESOURCE, product_label
from ..core.gpu_operator import GpuOperatorSpec
from ..core.cluster import (SYSTEM_POOL, ClusterSpec, CloudGpuPool, DnsLabel, MachineShape, NodeBounds, NodePool,
                            StorageClassInfo, SystemPlacement, Taint, catalog_entry, check_cidr, check_disjoint,
                            check_ipv4_cidrs, price_notes, unique_pool_names)
from ..core.labels import GPU_LABEL, POOL_LABEL
from . import prices
from .vm_sizes import REFUSED, VM_SIZES, VmSize, allocatable, machine_shapes

GPU_TAINT = Taint(key=GPU_RESOURCE, value="present", effect="NoSchedule")
# AKS puts this taint (and the label kubernetes.azure.com/scalesetpriority=spot) on every Spot pool
# and it cannot be removed (spot-node-pool.md; Azure/AKS#2934): pods on spot pools must tolerate it.
SPOT_TAINT = Taint(key="kubernetes.azure.com/scalesetpriority", value="spot", effect="NoSchedule")
# Agent pool names (Linux): a lower-case letter, then up to 11 lower-case letters or digits
# (pulumi-azure-native AgentPool.agent_pool_name; AKS docs "Create node pools").
AGENT_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
AGENT_POOL_NAME_MAX = 12
FILE_PROVISIONER = "file.csi.azure.com"
DISK_PROVISIONER = "disk.csi.azure.com"
# Azure Files Premium (FileStorage): the smallest share, GiB (Azure Files CSI driver's skuName table:
# "Minimum file share size for Premium account type is 100 GB"; AKS create-volume-azure-files.md).
PREMIUM_SHARE_MIN_GIB = 100
PREMIUM_SHARE_MAX_GIB = 102400
# The gateway's LoadBalancer Service on the Azure Standard Load Balancer: TCP health probes (Envoy's
# HTTPS listener answers no plain probe path; cloud-provider-azure's
# service.beta.kubernetes.io/azure-load-balancer-health-probe-protocol). Its TCP idle timeout (4 min by
# default) is far above the gateway's 30 s keepalives.
LOAD_BALANCER_ANNOTATIONS = {"service.beta.kubernetes.io/azure-load-balancer-health-probe-protocol": "Tcp"}

_REGION = re.compile(r"^[a-z]+[a-z0-9]*$")
_SUBSCRIPTION = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# AKS's generally available Kubernetes minors: Azure/AKS release notes 2026-09-04 (v20260904): "Kubernetes
# patch versions 1.36.3, 1.35.7, and 1.34.10 are now available", 1.37 in preview. Upstream 1.34 left
# maintenance on 2026-10-27 (kubernetes.io/releases/1.34), so 1.35 is the default.
KUBERNETES_VERSIONS = ("1.35", "1.36", "1.34")


def _vm_size(name: str) -> VmSize:
    if name in REFUSED:
        raise ValueError(REFUSED[name])
    return catalog_entry(name, VM_SIZES, "VM size", "series", lambda s: s.series)


class AksNetworkSpec(Spec):
    """The virtual network the stack creates (Azure CNI Overlay: pods take no VNet addresses)."""

    vnet_cidr: str = pydantic.Field(default="10.224.0.0/12", description="the virtual network's address space")
    nodes_cidr: str = pydantic.Field(default="10.224.0.0/16", description="the nodes' subnet, inside vnetCidr")
    pods_cidr: str = pydantic.Field(default="10.244.0.0/16", description="overlay pod addresses, outside the VNet")
    services_cidr: str = pydantic.Field(default="10.0.0.0/16", description="Service addresses; the DNS service is its .10")

    _vnet = pydantic.field_validator("vnet_cidr")(lambda cls, v: check_cidr(v, 8, 24, "the virtual network"))
    _nodes = pydantic.field_validator("nodes_cidr")(lambda cls, v: check_cidr(v, 16, 24, "nodes"))
    _pods = pydantic.field_validator("pods_cidr")(lambda cls, v: check_cidr(v, 8, 20, "pods"))
    _services = pydantic.field_validator("services_cidr")(lambda cls, v: check_cidr(v, 12, 24, "Services"))

    @pydantic.model_validator(mode="after")
    def _ranges(self) -> "AksNetworkSpec":
        if not ipaddress.IPv4Network(self.nodes_cidr).subnet_of(ipaddress.IPv4Network(self.vnet_cidr)):
            raise ValueError(f"nodesCidr {self.nodes_cidr} is not inside vnetCidr {self.vnet_cidr}")
        check_disjoint({"vnetCidr": self.vnet_cidr, "podsCidr": self.pods_cidr, "servicesCidr": self.services_cidr})
        return self

    @property
    def dns_service_ip(self) -> str:
        return str(ipaddress.IPv4Network(self.services_cidr)[10])


class _PoolSpec(NodeBounds):
    vm_size: str
    min_nodes: int = pydantic.Field(default=0, ge=0)
    max_nodes: int = pydantic.Field(default=1, ge=1, le=1000)
    disk_gib: int = pydantic.Field(default=128, ge=30, le=2048, description="managed OS disk, encrypted at rest")

    @property
    def vm(self) -> VmSize:
        return VM_SIZES[self.vm_size]


class AksSystemPoolSpec(_PoolSpec):
    """The System-mode pool: controllers, the gateway and monitoring; untainted, never GPU, never Spot."""

    vm_size: str = "Standard_D4s_v5"
    min_nodes: int = pydantic.Field(default=2, ge=1)
    max_nodes: int = pydantic.Field(default=4, ge=1, le=1000)
    spot: bool = pydantic.Field(default=False, description="the system pool is never spot")

    @pydantic.field_validator("vm_size")
    @classmethod
    def _cpu_size(cls, value: str) -> str:
        if _vm_size(value).gpu is not None:
            raise ValueError(f"'{value}' has GPUs; the system pool is for controllers: use a general-purpose size "
                             "such as Standard_D4s_v5")
        return value

    @pydantic.field_validator("spot")
    @classmethod
    def _never_spot(cls, value: bool) -> bool:
        if value:
            raise ValueError("the system pool is never spot: AKS requires System-mode pools to be Regular priority, and "
                             "an evicted node takes the gateway and the platform's controllers with it; drop spot "
                             "(GPU pools may use capacityType: spot)")
        return value


class AksGpuPoolSpec(_PoolSpec, CloudGpuPool):
    """Nodes of one GPU VM size, tainted so that only pods asking for GPUs land on them. Agent pool
    names take no hyphen, so a spot pool's agent pools are `<pool>spot` and `<pool>od`."""

    spot_suffix: ClassVar[str] = "spot"
    on_demand_suffix: ClassVar[str] = "od"

    @pydantic.field_validator("vm_size")
    @classmethod
    def _gpu_size(cls, value: str) -> str:
        if _vm_size(value).gpu is None:
            raise ValueError(f"'{value}' has no GPU: use a GPU size (Standard_NC*as_T4_v3, Standard_NC*ads_A100_v4, "
                             "Standard_NC*ads_H100_v5, Standard_ND96isr_H100_v5 ...)")
        return value

    @pydantic.model_validator(mode="after")
    def _names_fit_aks(self) -> "AksGpuPoolSpec":
        for name in self.node_pool_names:
            if len(name) > AGENT_POOL_NAME_MAX or not AGENT_POOL_NAME.match(name):
                room = AGENT_POOL_NAME_MAX - (len(name) - len(self.name))
                raise ValueError(f"name: '{self.name}' makes the AKS agent pool '{name}', but AKS takes a lower-case "
                                 f"letter and at most {AGENT_POOL_NAME_MAX} lower-case letters or digits: use a pool "
                                 f"name of at most {room} letters or digits, such as '{_suggest(self.name, room)}'")
        return self

    @property
    def taints(self) -> list[Taint]:
        return [GPU_TAINT, *([SPOT_TAINT] if self.capacity_type == "spot" else [])]


def _suggest(name: str, room: int) -> str:
    letters = re.sub(r"[^a-z0-9]", "", name.lower()).lstrip("0123456789") or "gpu"
    return letters[:max(room, 1)]


class AzureFilesCache(Spec):
    """The model caches on one Azure Files Premium share over NFS (ReadWriteMany), a directory per claim."""

    sku: Literal["Premium_LRS", "Premium_ZRS"] = pydantic.Field(
        default="Premium_ZRS", description="Premium_ZRS survives a zone outage; Premium_LRS costs less")
    share_gib: int = pydantic.Field(default=1024, ge=1, description=(
        "the share's provisioned size; a premium share's throughput grows with it (100 + 0.1 MiB/s per GiB)"))

    @pydantic.field_validator("share_gib")
    @classmethod
    def _premium_size(cls, value: int) -> int:
        if not PREMIUM_SHARE_MIN_GIB <= value <= PREMIUM_SHARE_MAX_GIB:
            raise ValueError(f"{value} GiB is outside what a premium file share holds ({PREMIUM_SHARE_MIN_GIB:,}-"
                             f"{PREMIUM_SHARE_MAX_GIB:,} GiB); use at least {PREMIUM_SHARE_MIN_GIB}")
        return value


class AksStorageSpec(Spec):
    model_cache_class: DnsLabel = pydantic.Field(default="azurefile-models", description="ReadWriteMany class for model weights")
    files: AzureFilesCache = pydantic.Field(default_factory=AzureFilesCache)
    block_class: DnsLabel = pydantic.Field(default="managed-csi-premium", description=(
        "ReadWriteOnce class: AKS's own Premium SSD class (encrypted at rest)"))
    retain_model_cache: bool = pydantic.Field(default=True, description="keep weights when a claim or the stack is deleted")


class AksClusterSpec(Spec):
    type: Literal["aks"]
    name: DnsLabel = pydantic.Field(description="AKS cluster name")
    region: str = pydantic.Field(description="an Azure region, e.g. eastus")
    subscription_id: Optional[str] = pydantic.Field(default=None, description="default: the az login's subscription")
    resource_group: Optional[str] = pydantic.Field(default=None, description="created by the stack; default: <name>-rg")
    kubernetes_version: str = pydantic.Field(default=KUBERNETES_VERSIONS[0], description="major.minor; AKS applies patches within it")
    availability_zones: list[Literal["1", "2", "3"]] = pydantic.Field(
        default_factory=list, description="zones of the pools; empty: no zone pinning (GPU sizes are not in every zone)")
    network: AksNetworkSpec = pydantic.Field(default_factory=AksNetworkSpec)
    public_access_cidrs: list[str] = pydantic.Field(default_factory=lambda: ["0.0.0.0/0"],
                                                    description="who may reach the API server (authorized IP ranges)")
    system_pool: AksSystemPoolSpec = AksSystemPoolSpec()
    gpu_pools: list[AksGpuPoolSpec] = pydantic.Field(min_length=1)
    storage: AksStorageSpec = AksStorageSpec()
    gpu_operator: GpuOperatorSpec = pydantic.Field(default_factory=GpuOperatorSpec, description=(
        "the GPU Operator over AKS's own driver and toolkit: device plugin, GPU Feature Discovery, NFD, DCGM exporter"))

    @pydantic.field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError(f"'{value}' is not an Azure region name (e.g. eastus, westeurope)")
        return value

    @pydantic.field_validator("subscription_id")
    @classmethod
    def _subscription(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not _SUBSCRIPTION.match(value):
            raise ValueError(f"'{value}' is not a subscription id (a GUID: az account show --query id)")
        return value

    @pydantic.field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value not in KUBERNETES_VERSIONS:
            raise ValueError(f"'{value}' is not a Kubernetes minor AKS offers generally; use one of "
                             f"{', '.join(KUBERNETES_VERSIONS)} (major.minor: AKS picks and upgrades the patch)")
        return value

    _cidrs = pydantic.field_validator("public_access_cidrs")(lambda cls, v: check_ipv4_cidrs(v))
    _unique_pools = pydantic.field_validator("gpu_pools")(lambda cls, v: unique_pool_names(v))

    @pydantic.model_validator(mode="after")
    def _sizes_in_region(self) -> "AksClusterSpec":
        sold = prices.offered(self.region)
        if sold is None:
            return self
        pools = [("systemPool.vmSize", self.system_pool.vm_size),
                 *((f"gpuPools[{i}].vmSize", p.vm_size) for i, p in enumerate(self.gpu_pools))]
        for path, size in pools:
            if size not in sold:
                where = sorted(r for r, sizes in prices.PRICES_USD_PER_HOUR.items() if size in sizes)
                raise ValueError(f"{path}: {self.region} does not sell {size}" +
                                 (f"; it is sold in {', '.join(where)}" if where else ""))
        return self

    @property
    def resource_group_name(self) -> str:
        return self.resource_group or f"{self.name}-rg"

    def machines(self) -> tuple[MachineShape, ...]:
        """The VM sizes this platform can give a pool: the Azure catalog."""
        return machine_shapes()

    def price_notes(self) -> list[str]:
        """Where each pool's price comes from (for the plan's cost lines)."""
        pools = [(SYSTEM_POOL, self.system_pool.vm_size, False),
                 *((p.name, p.vm_size, p.capacity_type == "spot") for p in self.gpu_pools)]
        return price_notes(pools, lambda s: prices.on_demand(self.region, s)[1], lambda s: prices.spot_note(self.region, s))

    def contract(self) -> ClusterSpec:
        """What the serving layer may know about this cluster. Every label a model's node affinity
        names is set on the agent pool itself (nodeLabels), so a pool at zero can be scaled up."""
        cpu, memory = allocatable(self.system_pool.vm)
        pools = [NodePool(
            name=SYSTEM_POOL, max_nodes=self.system_pool.max_nodes, min_nodes=self.system_pool.min_nodes,
            labels={POOL_LABEL: SYSTEM_POOL}, allocatable_cpu=cpu, allocatable_memory=memory,
            price_per_node_hour=prices.on_demand(self.region, self.system_pool.vm_size)[0],
        )]
        for pool in self.gpu_pools:
            vm = pool.vm
            cpu, memory = allocatable(vm)
            pools.append(NodePool(
                name=pool.name, gpu=vm.gpu, gpus_per_node=vm.gpus, max_nodes=pool.max_nodes, min_nodes=pool.min_nodes,
                labels={POOL_LABEL: pool.name, GPU_LABEL: vm.gpu or ""}, taints=pool.taints,
                capacity_type=pool.capacity_type, allocatable_cpu=cpu, allocatable_memory=memory,
                gpu_sharing=self.gpu_operator.time_slicing or 1,
                price_per_node_hour=prices.on_demand(self.region, vm.name)[0],
                spot_price_per_node_hour=prices.spot(self.region, vm.name),
            ))
        storage = self.storage
        classes = [
            StorageClassInfo(name=storage.model_cache_class, provisioner=FILE_PROVISIONER,
                             access_modes=["ReadWriteMany", "ReadWriteOnce"], retained=storage.retain_model_cache),
            StorageClassInfo(name=storage.block_class, provisioner=DISK_PROVISIONER, access_modes=["ReadWriteOnce"]),
        ]
        return ClusterSpec(pools=pools, system=SystemPlacement(node_selector={POOL_LABEL: SYSTEM_POOL}),
                           storage_classes=classes, load_balancer_annotations=LOAD_BALANCER_ANNOTATIONS)


def pool_labels(spec: AksClusterSpec, pool: AksGpuPoolSpec) -> dict[str, str]:
    """The agent pool's nodeLabels: the contract's, and GFD's product label, which only a running
    node would otherwise carry (the autoscaler reads a pool at zero from its spec)."""
    promised = spec.contract().pool(pool.name)
    return {**promised.labels, GPU_PRODUCT_LABEL: product_label(pool.vm.gfd_product, promised.gpu_sharing)}
