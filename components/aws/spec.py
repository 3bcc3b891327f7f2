"""The typed description of an EKS platform, as written under `cluster:` (with `type: eks`) in stack
config and as taken by the EksPlatform component; and its translation into the cluster contract.

Pools name an instance type and nothing else about their hardware: GPU model, GPUs per node and GPU
memory come from the instance and GPU catalogs. Every pool's `maxNodes` is the one bound the node
group, the autoscaler and the capacity checks all use.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal, Optional

import pydantic

from ..core.base import Spec
from ..core.cluster import (SYSTEM_POOL, ClusterSpec, CloudGpuPool, DnsLabel, MachineShape, NodeBounds, NodePool,
                            StorageClassInfo, SystemPlacement, Taint, catalog_entry, check_ipv4_cidrs, price_notes,
                            unique_pool_names)
from ..core.catalog.gpus import GPU_RESOURCE
from ..core.gpu_operator import GpuOperatorSpec
from ..core.labels import GPU_LABEL, POOL_LABEL
from .catalog import DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS, LOAD_BALANCER_ANNOTATIONS
from . import prices
from .instance_types import INSTANCE_TYPES, InstanceType, allocatable, machine_shapes

# EKS node group names have at most 63 characters; the AWS provider makes the name from the prefix
# and a 26-character unique suffix (terraform-plugin-sdk helper/id UniqueIDSuffixLength).
NODE_GROUP_PREFIX_MAX = 63 - 26
GPU_TAINT = Taint(key=GPU_RESOURCE, value="present", effect="NoSchedule")
EFS_PROVISIONER = "efs.csi.aws.com"
EBS_PROVISIONER = "ebs.csi.aws.com"

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z-]+/.+$")


def _instance(name: str) -> InstanceType:
    return catalog_entry(name, INSTANCE_TYPES, "instance type", "families", lambda i: i.family)


def _all_match(values: list[str], pattern: re.Pattern, what: str) -> list[str]:
    """Field validator body for lists of ids: every value matches, or one error naming the others."""
    bad = [value for value in values if not pattern.match(value)]
    if bad:
        raise ValueError(f"not {what}: {', '.join(bad)}")
    return values


class NetworkSpec(Spec):
    """Either a VPC to create (availabilityZones, cidr) or an existing one to adopt (vpcId, subnetIds)."""

    availability_zones: list[str] = pydantic.Field(default_factory=list, description="zones of the created VPC's subnets")
    cidr: str = "10.0.0.0/16"
    nat_gateways: Literal["perZone", "single"] = pydantic.Field(default="perZone", description="one NAT per zone survives a zone outage")
    vpc_id: Optional[str] = None
    subnet_ids: list[str] = pydantic.Field(default_factory=list, description="private subnets of an adopted VPC, in two or more zones")

    @pydantic.field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError as err:
            raise ValueError(f"'{value}' is not an IPv4 CIDR block ({err})") from None
        if not 16 <= network.prefixlen <= 20:
            raise ValueError(f"'{value}': use a /16 to /20 block; pods take VPC addresses, so subnets must be large")
        return value

    @pydantic.field_validator("vpc_id")
    @classmethod
    def _vpc_id(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not _VPC_ID.match(value):
            raise ValueError(f"'{value}' is not a VPC id (vpc-...)")
        return value

    _subnet_ids = pydantic.field_validator("subnet_ids")(lambda cls, v: _all_match(v, _SUBNET_ID, "subnet ids (subnet-...)"))

    @pydantic.model_validator(mode="after")
    def _one_mode(self) -> "NetworkSpec":
        adopts = self.vpc_id is not None or bool(self.subnet_ids)
        if adopts and self.availability_zones:
            raise ValueError("set availabilityZones to create a VPC, or vpcId and subnetIds to adopt one, not both")
        if adopts and (self.vpc_id is None or len(self.subnet_ids) < 2):
            raise ValueError("adopting a VPC needs vpcId and at least 2 subnetIds (private subnets in different zones)")
        if not adopts and len(self.availability_zones) < 2:
            raise ValueError("set availabilityZones (at least 2) to create a VPC, or vpcId and subnetIds to adopt one")
        if len(set(self.availability_zones)) != len(self.availability_zones):
            raise ValueError("availabilityZones lists a zone twice")
        return self

    @property
    def creates_vpc(self) -> bool:
        return self.vpc_id is None


class _PoolSpec(NodeBounds):
    instance_type: str
    min_nodes: int = pydantic.Field(default=0, ge=0)
    max_nodes: int = pydantic.Field(default=1, ge=1)
    disk_gib: int = pydantic.Field(default=100, ge=20, le=16384, description="encrypted gp3 root volume")

    @property
    def instance(self) -> InstanceType:
        return INSTANCE_TYPES[self.instance_type]


class SystemPoolSpec(_PoolSpec):
    """On-demand CPU nodes for controllers, gateway and monitoring; untainted, never GPU."""

    instance_type: str = "m7i.xlarge"
    min_nodes: int = pydantic.Field(default=2, ge=1)
    max_nodes: int = pydantic.Field(default=4, ge=1)
    disk_gib: int = pydantic.Field(default=50, ge=20, le=16384)

    @pydantic.field_validator("instance_type")
    @classmethod
    def _cpu_instance(cls, value: str) -> str:
        if _instance(value).gpu is not None:
            raise ValueError(f"'{value}' has GPUs; the system pool is for controllers: use a general-purpose type such as m7i.xlarge")
        return value


class GpuPoolSpec(_PoolSpec, CloudGpuPool):
    """Nodes of one GPU instance type, tainted so that only pods asking for GPUs land on them; a
    spot pool's node groups are `<pool>-spot` and `<pool>-on-demand`."""

    disk_gib: int = pydantic.Field(default=200, ge=100, le=16384, description="encrypted gp3 root volume; inference images are 10-20 GB")

    @pydantic.field_validator("instance_type")
    @classmethod
    def _gpu_instance(cls, value: str) -> str:
        if _instance(value).gpu is None:
            raise ValueError(f"'{value}' has no GPUs: use a GPU instance type (g5, g6, g6e, p4d, p5 ...)")
        return value

    @pydantic.model_validator(mode="after")
    def _names_fit_eks(self) -> "GpuPoolSpec":
        longest = max(self.node_pool_names, key=len)
        if len(longest) + 1 > NODE_GROUP_PREFIX_MAX:
            room = NODE_GROUP_PREFIX_MAX - 1 - (len(longest) - len(self.name))
            raise ValueError(
                f"name: '{self.name}' makes the node group name prefix '{longest}-' ({len(longest) + 1} characters), "
                f"but AWS allows {NODE_GROUP_PREFIX_MAX} before the 26-character unique suffix (63 in all): use a pool "
                f"name of at most {room} characters"
            )
        return self


class EksStorageSpec(Spec):
    model_cache_class: DnsLabel = pydantic.Field(default="efs-models", description="ReadWriteMany class on EFS for model weights")
    block_class: DnsLabel = pydantic.Field(default="gp3", description="default class: encrypted gp3 EBS, WaitForFirstConsumer")
    efs_throughput_mode: Literal["elastic", "bursting"] = "elastic"
    retain_model_cache: bool = pydantic.Field(default=True, description="keep weights when a claim or the stack is deleted; protect the file system")


class EksClusterSpec(Spec):
    type: Literal["eks"]
    name: DnsLabel = pydantic.Field(description="EKS cluster name, created or adopted")
    region: str
    adopt: bool = pydantic.Field(default=False, description="the cluster and its VPC exist; node pools, add-ons and storage are added to it")
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    network: NetworkSpec
    public_access_cidrs: list[str] = pydantic.Field(default_factory=lambda: ["0.0.0.0/0"], description="who may reach the API endpoint")
    admins: list[str] = pydantic.Field(default_factory=list, description="IAM role/user ARNs given cluster-admin access entries")
    system_pool: SystemPoolSpec = SystemPoolSpec()
    gpu_pools: list[GpuPoolSpec] = pydantic.Field(min_length=1)
    storage: EksStorageSpec = EksStorageSpec()
    gpu_operator: GpuOperatorSpec = GpuOperatorSpec()

    @pydantic.field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError(f"'{value}' is not an AWS region name (e.g. us-east-1)")
        return value

    @pydantic.field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value not in KUBERNETES_VERSIONS:
            raise ValueError(f"'{value}' is not a supported EKS version; use one of {', '.join(KUBERNETES_VERSIONS)}")
        return value

    _cidrs = pydantic.field_validator("public_access_cidrs")(lambda cls, v: check_ipv4_cidrs(v))

    _admins = pydantic.field_validator("admins")(lambda cls, v: _all_match(v, _PRINCIPAL_ARN, "IAM role or user ARNs"))

    _unique_pools = pydantic.field_validator("gpu_pools")(lambda cls, v: unique_pool_names(v))

    @pydantic.model_validator(mode="after")
    def _zones_in_region(self) -> "EksClusterSpec":
        outside = [z for z in self.network.availability_zones if not (z.startswith(self.region) and len(z) == len(self.region) + 1)]
        if outside:
            raise ValueError(f"network.availabilityZones: {', '.join(outside)} not zones of {self.region} (e.g. {self.region}a)")
        if self.adopt and self.network.creates_vpc:
            raise ValueError("an adopted cluster keeps its VPC: set network.vpcId and network.subnetIds instead of availabilityZones")
        if not self.adopt and not self.network.creates_vpc:
            raise ValueError("a created cluster creates its VPC: set network.availabilityZones, or set adopt: true to use an existing cluster")
        return self

    def machines(self) -> tuple[MachineShape, ...]:
        """The machine types this platform can give a pool: the EC2 catalog."""
        return machine_shapes()

    def price_notes(self) -> list[str]:
        """Where each GPU pool's price comes from (for the plan's cost lines)."""
        pools = [(SYSTEM_POOL, self.system_pool.instance.name, False),
                 *((p.name, p.instance_type, p.capacity_type == "spot") for p in self.gpu_pools)]
        return price_notes(pools, lambda i: prices.on_demand(self.region, i)[1], lambda i: prices.spot_note(self.region, i))

    def contract(self) -> ClusterSpec:
        """What the serving layer may know about this cluster."""
        sharing = self.gpu_operator.time_slicing
        cpu, memory = allocatable(self.system_pool.instance)
        pools = [NodePool(
            name=SYSTEM_POOL, max_nodes=self.system_pool.max_nodes, min_nodes=self.system_pool.min_nodes,
            labels={POOL_LABEL: SYSTEM_POOL}, allocatable_cpu=cpu, allocatable_memory=memory,
            price_per_node_hour=prices.on_demand(self.region, self.system_pool.instance.name)[0],
        )]
        for pool in self.gpu_pools:
            instance = pool.instance
            cpu, memory = allocatable(instance)
            pools.append(NodePool(
                allocatable_cpu=cpu, allocatable_memory=memory,
                price_per_node_hour=prices.on_demand(self.region, instance.name)[0],
                spot_price_per_node_hour=prices.spot(self.region, instance.name),
                name=pool.name, gpu=instance.gpu, gpus_per_node=instance.gpus, max_nodes=pool.max_nodes, min_nodes=pool.min_nodes,
                labels={POOL_LABEL: pool.name, GPU_LABEL: instance.gpu}, taints=[GPU_TAINT], capacity_type=pool.capacity_type,
                gpu_sharing=sharing or 1,
            ))
        storage = self.storage
        classes = [
            StorageClassInfo(name=storage.model_cache_class, provisioner=EFS_PROVISIONER,
                             access_modes=["ReadWriteMany", "ReadWriteOnce"], retained=storage.retain_model_cache),
            StorageClassInfo(name=storage.block_class, provisioner=EBS_PROVISIONER, access_modes=["ReadWriteOnce"]),
        ]
        system = SystemPlacement(node_selector={POOL_LABEL: SYSTEM_POOL})
        return ClusterSpec(pools=pools, system=system, storage_classes=classes,
                           load_balancer_annotations=LOAD_BALANCER_ANNOTATIONS)
