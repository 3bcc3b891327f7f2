"""The typed description of a GKE platform (`cluster:` with `type: gke`), and its translation into
the cluster contract.

Pools name a machine type and nothing else about their hardware: the A2, A3 and G2 series come with
their GPUs fixed, so GPU model and count come from the machine catalog. A pool may still state
`accelerator` or `gpusPerNode`, as GKE's own node pool API asks for them; a value the machine type
does not come with is an error at preview, not at `pulumi up`.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

import pydantic

from ..core.base import Spec
from ..core.catalog.gpus import GPU_RESOURCE
from ..core.cluster import (SYSTEM_POOL, ClusterSpec, CloudGpuPool, DnsLabel, MachineShape, NodeBounds, NodePool,
                            StorageClassInfo, SystemPlacement, Taint, catalog_entry, check_cidr, check_disjoint,
                            check_ipv4_cidrs, price_notes, unique_pool_names)
from ..core.labels import GPU_LABEL, POOL_LABEL
from ..core.manifests.nfs_cache import NFS_PROVISIONER
from . import prices
from .machine_types import MACHINE_TYPES, MachineType, allocatable, machine_shapes, zones_offering

# GKE node pool names: a lower-case letter, then up to 39 lower-case letters, digits or hyphens, not
# ending in a hyphen (the GKE API's validation message, quoted in pulumi/pulumi-gcp#1510).
NODE_POOL_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$")
NODE_POOL_NAME_MAX = 40
GPU_TAINT = Taint(key=GPU_RESOURCE, value="present", effect="NoSchedule")
PD_PROVISIONER = "pd.csi.storage.gke.io"
# The gateway's LoadBalancer Service: a backend-service-based external passthrough network load balancer
# (GKE 1.25.5+; "LoadBalancer Service parameters", cloud.google.com/kubernetes-engine/docs/concepts/
# service-load-balancer-parameters, read 2026-12-03). It passes TCP through, so Envoy terminates TLS.
LOAD_BALANCER_ANNOTATIONS = {"cloud.google.com/l4-rbs": "enabled"}
# Filestore's smallest instance per tier, in GiB (cloud.google.com/filestore/docs/service-tiers, read
# 2026-12-03: Basic HDD 1 TiB, Basic SSD 2.5 TiB, Zonal and Enterprise 1 TiB at the low end). The
# Regional tier's page now starts at 100 GiB but the overview table says 1 TiB: 1 TiB is kept.
FILESTORE_MIN_GIB = {"BASIC_HDD": 1024, "BASIC_SSD": 2560, "ZONAL": 1024, "REGIONAL": 1024, "ENTERPRISE": 1024}
FILESTORE_MAX_GIB = {"BASIC_HDD": 65434, "BASIC_SSD": 65434, "ZONAL": 102400, "REGIONAL": 102400, "ENTERPRISE": 10240}

_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")


def _machine(name: str) -> MachineType:
    return catalog_entry(name, MACHINE_TYPES, "machine type", "series", lambda m: m.series)


class GkeNetworkSpec(Spec):
    """A VPC-native network the stack creates: the nodes' subnet, and secondary ranges for pods and Services."""

    nodes_cidr: str = pydantic.Field(default="10.0.0.0/20", description="the subnet's primary range: node addresses")
    pods_cidr: str = pydantic.Field(default="10.16.0.0/14", description="secondary range for pod addresses")
    services_cidr: str = pydantic.Field(default="10.20.0.0/20", description="secondary range for Service addresses")
    control_plane_cidr: str = pydantic.Field(default="172.16.0.0/28", description="the private control plane's /28")

    _nodes = pydantic.field_validator("nodes_cidr")(lambda cls, v: check_cidr(v, 16, 24, "nodes"))
    _pods = pydantic.field_validator("pods_cidr")(lambda cls, v: check_cidr(v, 9, 21, "pods"))
    _services = pydantic.field_validator("services_cidr")(lambda cls, v: check_cidr(v, 16, 24, "Services"))
    _control = pydantic.field_validator("control_plane_cidr")(lambda cls, v: check_cidr(v, 28, 28, "the control plane"))

    @pydantic.model_validator(mode="after")
    def _disjoint(self) -> "GkeNetworkSpec":
        check_disjoint({"nodesCidr": self.nodes_cidr, "podsCidr": self.pods_cidr, "servicesCidr": self.services_cidr,
                        "controlPlaneCidr": self.control_plane_cidr})
        return self


class _PoolSpec(NodeBounds):
    machine_type: str
    min_nodes: int = pydantic.Field(default=0, ge=0, description="the autoscaler's total minimum, over all zones")
    max_nodes: int = pydantic.Field(default=1, ge=1, description="the autoscaler's total maximum, over all zones")
    disk_gib: int = pydantic.Field(default=100, ge=20, le=65536, description="pd-balanced boot disk, encrypted")

    @property
    def machine(self) -> MachineType:
        return MACHINE_TYPES[self.machine_type]


class GkeSystemPoolSpec(_PoolSpec):
    """On-demand CPU nodes for controllers, the gateway and monitoring; untainted, never GPU."""

    machine_type: str = "n1-standard-4"
    min_nodes: int = pydantic.Field(default=2, ge=1)
    max_nodes: int = pydantic.Field(default=4, ge=1)
    disk_gib: int = pydantic.Field(default=50, ge=20, le=65536)
    spot: bool = pydantic.Field(default=False, description="the system pool is never spot")

    @pydantic.field_validator("spot")
    @classmethod
    def _never_spot(cls, value: bool) -> bool:
        if value:
            raise ValueError("the system pool is never spot: a preempted node takes the gateway, the platform's "
                             "controllers and monitoring with it; drop spot (GPU pools may use capacityType: spot)")
        return value

    @pydantic.field_validator("machine_type")
    @classmethod
    def _cpu_machine(cls, value: str) -> str:
        if _machine(value).gpu is not None:
            raise ValueError(f"'{value}' has GPUs; the system pool is for controllers: use a general-purpose type "
                             "such as n1-standard-4")
        return value


class GkeGpuPoolSpec(_PoolSpec, CloudGpuPool):
    """Nodes of one GPU machine type, tainted so that only pods asking for GPUs land on them; a spot
    pool's node pools are `<pool>-spot` and `<pool>-on-demand`."""

    accelerator: Optional[str] = pydantic.Field(default=None, description="optional: the machine type's accelerator, checked")
    gpus_per_node: Optional[int] = pydantic.Field(default=None, ge=1, description="optional: the machine type's GPU count, checked")
    zones: list[str] = pydantic.Field(default_factory=list, description="node locations; default: the cluster's zones")
    disk_gib: int = pydantic.Field(default=200, ge=100, le=65536, description="pd-balanced boot disk; inference images are 10-20 GB")
    time_sharing: Optional[int] = pydantic.Field(default=None, ge=2, le=16, description=(
        "GKE time-sharing: each GPU is advertised to this many containers (gpu_sharing_config); models on it must "
        "take a share of GPU memory and one GPU each"))

    @pydantic.field_validator("machine_type")
    @classmethod
    def _gpu_machine(cls, value: str) -> str:
        if _machine(value).gpu is None:
            raise ValueError(f"'{value}' has no GPUs: use a GPU machine type (g2-standard-*, a2-highgpu-*, "
                             "a2-ultragpu-*, a3-highgpu-*)")
        return value

    @pydantic.model_validator(mode="after")
    def _what_the_machine_comes_with(self) -> "GkeGpuPoolSpec":
        machine = MACHINE_TYPES.get(self.machine_type)
        if machine is None:
            return self
        if self.accelerator is not None and self.accelerator != machine.accelerator:
            offering = sorted({m.series + "-*" for m in MACHINE_TYPES.values() if m.accelerator == self.accelerator})
            where = f"; {self.accelerator} comes with {', '.join(offering)}" if offering else ""
            raise ValueError(f"accelerator: {machine.name} comes with {machine.accelerator}, not {self.accelerator}{where}")
        if self.gpus_per_node is not None and self.gpus_per_node != machine.gpus:
            sizes = sorted((m for m in MACHINE_TYPES.values() if m.accelerator == machine.accelerator
                            and m.gpus == self.gpus_per_node), key=lambda m: m.vcpus)
            hint = f"; {self.gpus_per_node} x {machine.gpu}: {', '.join(m.name for m in sizes)}" if sizes else ""
            raise ValueError(f"gpusPerNode: {machine.name} has {machine.gpus} x {machine.gpu}, not {self.gpus_per_node}{hint}")
        return self

    @pydantic.model_validator(mode="after")
    def _names_fit_gke(self) -> "GkeGpuPoolSpec":
        longest = max(self.node_pool_names, key=len)
        if len(longest) > NODE_POOL_NAME_MAX:
            room = NODE_POOL_NAME_MAX - (len(longest) - len(self.name))
            raise ValueError(f"name: '{self.name}' makes the GKE node pool '{longest}' ({len(longest)} characters), "
                             f"but GKE allows {NODE_POOL_NAME_MAX}: use a pool name of at most {room} characters")
        return self


class FilestoreCache(Spec):
    """The model caches on one Filestore instance (NFS, ReadWriteMany), a subdirectory per claim:
    the instance's tier and size."""

    tier: Literal["BASIC_HDD", "BASIC_SSD", "ZONAL", "REGIONAL", "ENTERPRISE"] = "BASIC_SSD"
    capacity_gib: int = pydantic.Field(default=2560, ge=1, description="the instance's capacity, within its tier's range")
    zone: Optional[str] = pydantic.Field(default=None, description=(
        "zonal tiers (BASIC_HDD, BASIC_SSD, ZONAL): the instance's zone; default: the first of cluster.zones. "
        "A new zone replaces the instance and every cache on it"))

    @property
    def zonal(self) -> bool:
        return self.tier not in ("REGIONAL", "ENTERPRISE")

    @pydantic.model_validator(mode="after")
    def _tier_capacity(self) -> "FilestoreCache":
        if self.zone is not None and not self.zonal:
            raise ValueError(f"zone: a {self.tier} instance spans the region; drop zone, or use a zonal tier")
        low, high = FILESTORE_MIN_GIB[self.tier], FILESTORE_MAX_GIB[self.tier]
        if not low <= self.capacity_gib <= high:
            raise ValueError(f"capacityGib: {self.capacity_gib} GiB is outside what a {self.tier} Filestore instance "
                             f"holds ({low:,}-{high:,} GiB); use at least {low:,}, or another tier")
        return self


class GkeStorageSpec(Spec):
    model_cache_class: DnsLabel = pydantic.Field(default="filestore-models", description="ReadWriteMany class for model weights")
    filestore: FilestoreCache = pydantic.Field(default_factory=FilestoreCache)
    block_class: DnsLabel = pydantic.Field(default="pd-balanced", description="default class: encrypted pd-balanced, WaitForFirstConsumer")
    retain_model_cache: bool = pydantic.Field(default=True, description="keep weights when a claim or the stack is deleted")


class GkeClusterSpec(Spec):
    type: Literal["gke"]
    name: DnsLabel = pydantic.Field(description="GKE cluster name (at most 40 characters)")
    project: str = pydantic.Field(description="the Google Cloud project id")
    region: str = pydantic.Field(description="a regional cluster's region, e.g. us-central1")
    zones: list[str] = pydantic.Field(min_length=1, description="node locations in the region, e.g. us-central1-a")
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = pydantic.Field(
        default="REGULAR", description="GKE picks and upgrades the version within the channel")
    network: GkeNetworkSpec = pydantic.Field(default_factory=GkeNetworkSpec)
    public_access_cidrs: list[str] = pydantic.Field(default_factory=lambda: ["0.0.0.0/0"],
                                                    description="who may reach the control plane (authorized networks)")
    system_pool: GkeSystemPoolSpec = GkeSystemPoolSpec()
    gpu_pools: list[GkeGpuPoolSpec] = pydantic.Field(min_length=1)
    storage: GkeStorageSpec = GkeStorageSpec()
    # No gpuOperator: GKE installs the driver and runs its device plugin (DESIGN.md); GPU sharing is
    # GKE's time-sharing, per pool (gpuPools[].timeSharing).

    @pydantic.field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > 40:
            raise ValueError(f"'{value}' has {len(value)} characters; GKE cluster names have at most 40")
        return value

    @pydantic.field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _PROJECT.match(value):
            raise ValueError(f"'{value}' is not a project id: 6-30 lower-case letters, digits or hyphens, starting "
                             "with a letter (the id, not the project's display name or number)")
        return value

    @pydantic.field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError(f"'{value}' is not a Google Cloud region name (e.g. us-central1)")
        return value

    _cidrs = pydantic.field_validator("public_access_cidrs")(lambda cls, v: check_ipv4_cidrs(v))

    _unique_pools = pydantic.field_validator("gpu_pools")(lambda cls, v: unique_pool_names(v))

    @pydantic.model_validator(mode="after")
    def _zones(self) -> "GkeClusterSpec":
        filestore = self.storage.filestore
        for path, zones in [("zones", self.zones), *((f"gpuPools[{i}].zones", p.zones) for i, p in enumerate(self.gpu_pools)),
                            *((("storage.filestore.zone", [filestore.zone]),) if filestore.zone else ())]:
            outside = [z for z in zones if not re.fullmatch(rf"{re.escape(self.region)}-[a-z]", z)]
            if outside:
                raise ValueError(f"{path}: {', '.join(outside)} not zones of {self.region} (e.g. {self.region}-a)")
        for i, pool in enumerate(self.gpu_pools):
            machine = pool.machine
            assert machine.accelerator is not None
            offering = zones_offering(self.region, machine.accelerator)
            if offering is None:
                continue
            missing = [z for z in (pool.zones or self.zones) if z not in offering]
            if missing:
                where = f"set gpuPools[{i}].zones to some of {', '.join(offering)}" if offering else \
                    f"{self.region} offers none: choose another region"
                raise ValueError(f"gpuPools[{i}]: {', '.join(missing)} does not offer {machine.accelerator} "
                                 f"({machine.name}); {where}")
        return self

    def pool_zones(self, pool: GkeGpuPoolSpec) -> list[str]:
        return pool.zones or self.zones

    @property
    def filestore_location(self) -> str:
        """Zonal tiers live in a zone (set, or the first of the cluster's); regional and enterprise ones in the region."""
        filestore = self.storage.filestore
        return (filestore.zone or self.zones[0]) if filestore.zonal else self.region

    def machines(self) -> tuple[MachineShape, ...]:
        """The machine types this platform can give a pool: the Compute Engine catalog."""
        return machine_shapes()

    def price_notes(self) -> list[str]:
        """Where each pool's price comes from (for the plan's cost lines)."""
        pools = [(SYSTEM_POOL, self.system_pool.machine_type, False),
                 *((p.name, p.machine_type, p.capacity_type == "spot") for p in self.gpu_pools)]
        return price_notes(pools, lambda m: prices.on_demand(self.region, m)[1], lambda m: prices.spot_note(self.region, m))

    def contract(self) -> ClusterSpec:
        """What the serving layer may know about this cluster. Every label a model's node affinity
        names (the pool and GPU labels) is set on the node pool itself, so a pool at zero scales up."""
        cpu, memory = allocatable(self.system_pool.machine)
        pools = [NodePool(
            name=SYSTEM_POOL, max_nodes=self.system_pool.max_nodes, min_nodes=self.system_pool.min_nodes,
            labels={POOL_LABEL: SYSTEM_POOL}, allocatable_cpu=cpu, allocatable_memory=memory,
            price_per_node_hour=prices.on_demand(self.region, self.system_pool.machine_type)[0],
        )]
        for pool in self.gpu_pools:
            machine = pool.machine
            cpu, memory = allocatable(machine)
            pools.append(NodePool(
                allocatable_cpu=cpu, allocatable_memory=memory,
                price_per_node_hour=prices.on_demand(self.region, machine.name)[0],
                spot_price_per_node_hour=prices.spot(self.region, machine.name),
                name=pool.name, gpu=machine.gpu, gpus_per_node=machine.gpus, max_nodes=pool.max_nodes,
                min_nodes=pool.min_nodes, labels={POOL_LABEL: pool.name, GPU_LABEL: machine.gpu or ""},
                taints=[GPU_TAINT], capacity_type=pool.capacity_type, gpu_sharing=pool.time_sharing or 1,
            ))
        storage = self.storage
        classes = [
            StorageClassInfo(name=storage.model_cache_class, provisioner=NFS_PROVISIONER,
                             access_modes=["ReadWriteMany", "ReadWriteOnce"], retained=storage.retain_model_cache),
            StorageClassInfo(name=storage.block_class, provisioner=PD_PROVISIONER, access_modes=["ReadWriteOnce"]),
        ]
        return ClusterSpec(pools=pools, system=SystemPlacement(node_selector={POOL_LABEL: SYSTEM_POOL}),
                           storage_classes=classes, load_balancer_annotations=LOAD_BALANCER_ANNOTATIONS)
