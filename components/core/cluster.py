"""The cluster contract, pure part: what the serving layer needs to know about a cluster.

Every cluster source (an existing cluster described in config today, EKS/GKE/AKS components later)
produces a ClusterSpec. The serving layer derives scheduling and storage decisions from it and
never from the cloud.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from typing import Annotated, Any, ClassVar, Iterable, Literal, Optional

import pydantic

from .base import Spec
from .catalog.gpus import GPUS, SHARED_SUFFIX, GpuType
from .catalog.storage import reports_claim_volume_stats
from .quantity import Quantity

AccessMode = Literal["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def check_labels(labels: dict[str, str]) -> dict[str, str]:
    for key, value in labels.items():
        if not _LABEL_KEY.match(key):
            raise ValueError(f"'{key}' is not a valid Kubernetes label key")
        if not _LABEL_VALUE.match(value):
            raise ValueError(f"label '{key}': '{value}' is not a valid label value (63 characters of [-A-Za-z0-9_.])")
    return labels


def check_dns_label(name: str) -> str:
    if not _DNS_LABEL.match(name):
        raise ValueError(
            f"'{name}' must be a DNS label of at most 40 characters: lower-case letters, digits and '-', "
            "starting with a letter (it names Kubernetes objects derived from it)"
        )
    return name


def check_dns_subdomain(name: str) -> str:
    """The name of most Kubernetes objects (storage classes among them): RFC 1123 subdomain."""
    if not _DNS_SUBDOMAIN.match(name):
        raise ValueError(
            f"'{name}' is not a Kubernetes object name: at most 253 lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return name


DnsLabel = Annotated[str, pydantic.AfterValidator(check_dns_label)]
DnsSubdomain = Annotated[str, pydantic.AfterValidator(check_dns_subdomain)]
Labels = Annotated[dict[str, str], pydantic.AfterValidator(check_labels)]


class Taint(Spec):
    """A node taint; key and value follow the label syntax the API server enforces on taints."""

    key: str
    value: str = ""
    effect: TaintEffect = "NoSchedule"

    @pydantic.field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _LABEL_KEY.match(value):
            raise ValueError(f"'{value}' is not a valid taint key: an optional DNS prefix and '/', then at most "
                             "63 characters of [-A-Za-z0-9_.] starting and ending with a letter or digit (e.g. nvidia.com/gpu)")
        return value

    @pydantic.field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        if not _LABEL_VALUE.match(value):
            raise ValueError(f"'{value}' is not a valid taint value: at most 63 characters of [-A-Za-z0-9_.], "
                             "starting and ending with a letter or digit (or empty)")
        return value

    def toleration(self) -> dict:
        tol = {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}
        if not self.value:
            tol = {"key": self.key, "operator": "Exists", "effect": self.effect}
        return tol


class MachineShape(Spec):
    """One machine type a cloud offers a pool: what a node of it has, and what it offers pods after
    the kubelet's and the system's reservations. Each cloud package keeps a catalog of these (with
    its sources); the planner suggests from the catalog of the platform in use."""

    name: str
    gpu: Optional[str] = None
    gpus: int = 0
    vcpus: int
    memory_gib: float
    allocatable_cpu: str
    allocatable_memory: str


def check_ipv4_cidrs(values: list[str]) -> list[str]:
    """Field validator body for a list of IPv4 CIDR blocks (who may reach a control plane)."""
    for cidr in values:
        try:
            ipaddress.IPv4Network(cidr)
        except ValueError:
            raise ValueError(f"'{cidr}' is not an IPv4 CIDR block") from None
    return values


def check_cidr(value: str, low: int, high: int, what: str) -> str:
    """Field validator body for one IPv4 CIDR block of a prefix length from /low to /high."""
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError as err:
        raise ValueError(f"'{value}' is not an IPv4 CIDR block ({err})") from None
    if not low <= network.prefixlen <= high:
        raise ValueError(f"'{value}': use a /{low} to /{high} block for {what}")
    return value


def check_disjoint(ranges: dict[str, str]) -> None:
    """Model validator body: the named CIDR blocks (config names as keys) do not overlap."""
    names = list(ranges)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if ipaddress.IPv4Network(ranges[a]).overlaps(ipaddress.IPv4Network(ranges[b])):
                raise ValueError(f"{a} {ranges[a]} overlaps {b} {ranges[b]}: the ranges must be disjoint")


class NodeBounds(Spec):
    """A cloud node pool's autoscaling bounds, as each cloud's pool spec declares them."""

    min_nodes: int = pydantic.Field(default=0, ge=0)
    max_nodes: int = pydantic.Field(default=1, ge=1)

    @pydantic.field_validator("max_nodes")
    @classmethod
    def _max_not_below_min(cls, value: int, info: pydantic.ValidationInfo) -> int:
        low = info.data.get("min_nodes")
        if low is not None and value < low:
            raise ValueError(f"must be >= minNodes ({low})")
        return value


SYSTEM_POOL = "system"
"""The name of every cloud platform's pool for controllers, the gateway and monitoring."""


class CloudGpuPool(NodeBounds):
    """What every cloud's GPU pool declares besides its machine: its name, capacity type and, for a
    spot pool, an on-demand twin. A spot pool is two node pools: `<name><spot_suffix>` and, with the
    fallback, `<name><on_demand_suffix>`; the cluster autoscaler grows the twin when spot is short."""

    spot_suffix: ClassVar[str] = "-spot"
    on_demand_suffix: ClassVar[str] = "-on-demand"

    name: DnsLabel
    capacity_type: Literal["on-demand", "spot"] = "on-demand"
    on_demand_fallback: bool = pydantic.Field(
        default=False, description="spot pools: a second, on-demand node pool used when spot is short")

    @pydantic.field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == SYSTEM_POOL:
            raise ValueError(f"'{SYSTEM_POOL}' is the system pool's name; choose another")
        suffixes = (cls.spot_suffix, cls.on_demand_suffix)
        if value.endswith(suffixes):
            raise ValueError(f"'{value}': names ending in {' or '.join(suffixes)} are reserved for a spot pool's node pools")
        return value

    @pydantic.model_validator(mode="after")
    def _fallback_needs_spot(self) -> "CloudGpuPool":
        if self.on_demand_fallback and self.capacity_type != "spot":
            raise ValueError("onDemandFallback is for spot pools: set capacityType: spot, or drop onDemandFallback")
        return self

    @property
    def node_pool_names(self) -> list[str]:
        """The cloud's node pools of this pool: `<name>`, or the spot one and with fallback its twin."""
        if self.capacity_type != "spot":
            return [self.name]
        return [self.name + self.spot_suffix, *([self.name + self.on_demand_suffix] if self.on_demand_fallback else [])]


def unique_pool_names(pools: list[CloudGpuPool]) -> list[CloudGpuPool]:
    """Field validator body for a cloud's GPU pools: each name once (spot suffixes are reserved, so
    node pool names are then unique too)."""
    names = [p.name for p in pools]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"pool names must be unique: {', '.join(twice)} declared twice")
    return pools


def catalog_entry(name: str, catalog: dict[str, Any], what: str, groups: str, group_of: Any) -> Any:
    """A cloud catalog's entry by name, or one error naming the closest entry and the catalog's
    groups: "unknown instance type 'g6e.13xlarge'; did you mean 'g6e.16xlarge'? (known families: ...)"."""
    if name not in catalog:
        close = difflib.get_close_matches(name, list(catalog), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        known = ", ".join(sorted({group_of(entry) for entry in catalog.values()}))
        raise ValueError(f"unknown {what} '{name}'{hint} (known {groups}: {known})")
    return catalog[name]


def check_machine_catalog(machines: Iterable[Any]) -> None:
    """A cloud's machine catalog agrees with the GPU catalog: a machine without a GPU has no GPU count
    or product label; one with a GPU has at least one, of a known type, with a product label GFD uses."""
    for machine in machines:
        if machine.gpu is None:
            assert machine.gpus == 0 and getattr(machine, "gfd_product", None) is None, machine.name
            continue
        assert machine.gfd_product in GPUS[machine.gpu].product_labels, machine.name
        assert machine.gpus >= 1, machine.name


def price_notes(pools: Iterable[tuple[str, str, bool]], on_demand_source: Any, spot_source: Any) -> list[str]:
    """Where each pool's price comes from, for the plan's cost lines: (pool, machine, on spot) rows,
    and the cloud's price catalog's `source(machine)` for on-demand and spot prices."""
    notes = []
    for name, machine, on_spot in pools:
        notes.append(f"{name} ({machine}): {on_demand_source(machine)}")
        if on_spot:
            notes.append(f"{name} ({machine}) on spot: {spot_source(machine)}")
    return notes


def tiered(amount: float, tiers: Iterable[tuple[float, float]]) -> float:
    """A reservation by tiers, as clouds compute a node's kube-reserved: (size, share) in order, the
    last size `math.inf`; e.g. 6 % of the first core, 1 % of the second, ..."""
    reserved = 0.0
    for size, share in tiers:
        taken = min(size, amount)
        reserved += taken * share
        amount -= taken
        if amount <= 0:
            break
    return reserved


def shapes_of(machines: Iterable[Any], allocatable: Any) -> tuple["MachineShape", ...]:
    """A cloud's machine catalog (items with name, gpu, gpus, vcpus, memory_gib) as the planner reads
    it, with `allocatable(machine) -> (cpu, memory)` the cloud's node reservations."""
    shapes = []
    for machine in machines:
        cpu, memory = allocatable(machine)
        shapes.append(MachineShape(name=machine.name, gpu=machine.gpu, gpus=machine.gpus, vcpus=machine.vcpus,
                                   memory_gib=machine.memory_gib, allocatable_cpu=cpu, allocatable_memory=memory))
    return tuple(shapes)


class NodePool(Spec):
    """A group of identical nodes. A pool with `gpu` set is a GPU pool."""

    name: DnsLabel
    gpu: Optional[str] = pydantic.Field(default=None, description="GPU type from the GPU catalog; unset for CPU pools")
    gpus_per_node: int = pydantic.Field(default=0, ge=0)
    max_nodes: int = pydantic.Field(default=1, ge=1)
    min_nodes: int = pydantic.Field(
        default=0, ge=0, description="nodes the pool keeps running whatever the models ask (its autoscaler's minimum); for cost"
    )
    labels: Labels = pydantic.Field(default_factory=dict, description="node labels that select this pool's nodes")
    taints: list[Taint] = pydantic.Field(default_factory=list)
    capacity_type: Literal["on-demand", "spot"] = "on-demand"
    gpu_sharing: int = pydantic.Field(
        default=1, ge=1, le=16, description="time-slicing: pods each GPU is advertised to; 1 means whole GPUs"
    )
    allocatable_cpu: Optional[Quantity] = pydantic.Field(
        default=None, description="CPU a node offers pods (`kubectl describe node`, Allocatable); unset: not checked"
    )
    allocatable_memory: Optional[Quantity] = pydantic.Field(
        default=None, description="memory a node offers pods (`kubectl describe node`, Allocatable); unset: not checked"
    )
    price_per_node_hour: Optional[float] = pydantic.Field(
        default=None, ge=0, description="USD per node and hour (on-demand, or what the pool's capacity type costs); unset: unknown"
    )
    spot_price_per_node_hour: Optional[float] = pydantic.Field(
        default=None, ge=0, description="USD per node and hour on spot, for spot pools; unset: unknown"
    )

    @pydantic.field_validator("gpu")
    @classmethod
    def _known_gpu(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and value not in GPUS:
            raise ValueError(f"unknown GPU type '{value}'; known types: {', '.join(GPUS)}")
        return value

    @pydantic.model_validator(mode="after")
    def _gpu_count(self) -> "NodePool":
        if self.gpu and self.gpus_per_node < 1:
            raise ValueError(f"pool '{self.name}' has gpu {self.gpu}: set gpusPerNode (>= 1)")
        if not self.gpu and self.gpus_per_node:
            raise ValueError(f"pool '{self.name}' sets gpusPerNode but no gpu type: set gpu")
        if not self.gpu and self.gpu_sharing > 1:
            raise ValueError(f"pool '{self.name}' sets gpuSharing but no gpu type: set gpu")
        return self

    @property
    def gpu_type(self) -> Optional[GpuType]:
        return GPUS[self.gpu] if self.gpu else None

    @property
    def is_gpu(self) -> bool:
        return self.gpu is not None

    @property
    def product_labels(self) -> tuple[str, ...]:
        """Values of GFD's product label on this pool's nodes; time-sliced GPUs carry a -SHARED suffix."""
        if self.gpu_type is None:
            return ()
        suffix = SHARED_SUFFIX if self.gpu_sharing > 1 else ""
        return tuple(label + suffix for label in self.gpu_type.product_labels)


class SystemPlacement(Spec):
    """Where controllers, gateway and monitoring run: never on GPU nodes."""

    node_selector: Labels = pydantic.Field(default_factory=dict)
    tolerations: list[Taint] = pydantic.Field(default_factory=list)

    def scheduling(self) -> dict:
        """The pod-spec fields (and the chart values of most charts) that put a pod on the system pool."""
        return {"nodeSelector": dict(self.node_selector), "tolerations": [t.toleration() for t in self.tolerations]}


class StorageClassInfo(Spec):
    name: DnsSubdomain
    provisioner: str
    access_modes: list[AccessMode] = pydantic.Field(min_length=1)
    retained: bool = pydantic.Field(default=False, description="volumes survive deletion of their claim (reclaimPolicy Retain)")

    @property
    def reports_volume_stats(self) -> bool:
        """Whether kubelet's volume stats measure a claim of this class (catalog/storage.py)."""
        return reports_claim_volume_stats(self.provisioner)


class ClusterSpec(Spec):
    pools: list[NodePool] = pydantic.Field(min_length=1)
    system: SystemPlacement = SystemPlacement()
    storage_classes: list[StorageClassInfo] = pydantic.Field(min_length=1)
    load_balancer_annotations: dict[str, str] = pydantic.Field(
        default_factory=dict, description="annotations a LoadBalancer Service needs on this cluster (the gateway's)"
    )

    @pydantic.field_validator("pools")
    @classmethod
    def _unique_pools(cls, pools: list[NodePool]) -> list[NodePool]:
        _no_duplicates([p.name for p in pools], "pool")
        return pools

    @pydantic.field_validator("storage_classes")
    @classmethod
    def _unique_classes(cls, classes: list[StorageClassInfo]) -> list[StorageClassInfo]:
        _no_duplicates([c.name for c in classes], "storage class")
        return classes

    def pool(self, name: str) -> Optional[NodePool]:
        return next((p for p in self.pools if p.name == name), None)

    def storage_class(self, name: str) -> Optional[StorageClassInfo]:
        return next((c for c in self.storage_classes if c.name == name), None)

    @property
    def gpu_taint_keys(self) -> set[str]:
        return {t.key for p in self.pools if p.is_gpu for t in p.taints}


def _no_duplicates(names: list[str], what: str) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} '{name}' is declared twice")
        seen.add(name)
