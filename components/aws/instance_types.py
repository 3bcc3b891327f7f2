"""EC2 instance types a node pool can declare: what one node of each type has.

A GPU pool names only its instance type; its GPU model, GPU count and memory come from here (and
the GPU's own facts from the GPU catalog), so a pool declared as `g6e.12xlarge` knows it has 4 x L40S.

Sources: Karpenter's instance-type reference, generated from EC2 DescribeInstanceTypes
(aws/karpenter-provider-aws website/content/en/preview/reference/instance-types.md, 2026-08-21), with
vCPUs, memory and GPU counts cross-checked against the Cluster Autoscaler's static list
(kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go). Note the .16xlarge
sizes of g4dn, g5, g6 and g6e have one GPU. Every family listed here runs the AL2023 NVIDIA AMI.

max_pods: the most pods a node of that type can run with the VPC CNI, from the ENI limits: ENIs x
(IPv4 addresses per ENI - 1) + 2, counting only the default network card's ENIs (hence 100 on
p5.48xlarge). It is the `pods` figure of each type's "Resources" table in the same Karpenter reference
(website/content/en/preview/reference/instance-types.md as of aws/karpenter-provider-aws commit
1d927085dd81a9df9301e613f371dac5b4d16bfe, 2026-08-21; the file last changed in 692ccdd0629e, the
v1.14.0 release of 2026-07-11). Every type here is listed there, so none was computed by hand.

gfd_product: the `nvidia.com/gpu.product` value GPU Feature Discovery sets on that instance's nodes
(one of the GPU catalog's product_labels; the board differs by instance family, e.g. A100 SXM4 on p4d).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Optional

from ..core.cluster import MachineShape, check_machine_catalog, shapes_of

Architecture = Literal["x86_64", "arm64"]


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_gib: int
    max_pods: int
    gpu: Optional[str] = None
    gpus: int = 0
    gfd_product: Optional[str] = None
    architecture: Architecture = "x86_64"

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]


def _family(
    family: str, gpu: Optional[str], product: Optional[str], sizes: list[tuple[str, int, int, int, int]]
) -> dict[str, InstanceType]:
    return {
        f"{family}.{size}": InstanceType(f"{family}.{size}", vcpus, memory, max_pods, gpu, gpus, product)
        for size, vcpus, memory, gpus, max_pods in sizes
    }


# (size, vCPUs, memory GiB, GPUs, max pods). Max pods differs between families of the same shape
# (their ENI limits differ), so each family has its own list.
_G5_SIZES = [
    ("xlarge", 4, 16, 1, 58), ("2xlarge", 8, 32, 1, 58), ("4xlarge", 16, 64, 1, 234), ("8xlarge", 32, 128, 1, 234),
    ("12xlarge", 48, 192, 4, 737), ("16xlarge", 64, 256, 1, 234), ("24xlarge", 96, 384, 4, 737), ("48xlarge", 192, 768, 8, 345),
]
_G6_SIZES = [
    ("xlarge", 4, 16, 1, 58), ("2xlarge", 8, 32, 1, 58), ("4xlarge", 16, 64, 1, 234), ("8xlarge", 32, 128, 1, 234),
    ("12xlarge", 48, 192, 4, 234), ("16xlarge", 64, 256, 1, 737), ("24xlarge", 96, 384, 4, 737), ("48xlarge", 192, 768, 8, 737),
]
_G6E_SIZES = [
    ("xlarge", 4, 32, 1, 58), ("2xlarge", 8, 64, 1, 58), ("4xlarge", 16, 128, 1, 234), ("8xlarge", 32, 256, 1, 234),
    ("12xlarge", 48, 384, 4, 292), ("16xlarge", 64, 512, 1, 737), ("24xlarge", 96, 768, 4, 492), ("48xlarge", 192, 1536, 8, 492),
]
_G4DN_SIZES = [
    ("xlarge", 4, 16, 1, 29), ("2xlarge", 8, 32, 1, 29), ("4xlarge", 16, 64, 1, 29), ("8xlarge", 32, 128, 1, 58),
    ("12xlarge", 48, 192, 4, 234), ("16xlarge", 64, 256, 1, 58), ("metal", 96, 384, 8, 737),
]
# m6i and m7i have the same max pods at every size listed here.
_GENERAL_SIZES = [
    ("large", 2, 8, 0, 29), ("xlarge", 4, 16, 0, 58), ("2xlarge", 8, 32, 0, 58), ("4xlarge", 16, 64, 0, 234), ("8xlarge", 32, 128, 0, 234),
]

INSTANCE_TYPES: dict[str, InstanceType] = {
    **_family("g4dn", "T4", "Tesla-T4", _G4DN_SIZES),
    **_family("g5", "A10G", "NVIDIA-A10G", _G5_SIZES),
    **_family("g6", "L4", "NVIDIA-L4", _G6_SIZES),
    **_family("g6e", "L40S", "NVIDIA-L40S", _G6E_SIZES),
    **_family("p4d", "A100-40GB", "NVIDIA-A100-SXM4-40GB", [("24xlarge", 96, 1152, 8, 737)]),
    **_family("p4de", "A100-80GB", "NVIDIA-A100-SXM4-80GB", [("24xlarge", 96, 1152, 8, 737)]),
    **_family("p5", "H100-80GB", "NVIDIA-H100-80GB-HBM3", [("4xlarge", 16, 256, 1, 118), ("48xlarge", 192, 2048, 8, 100)]),
    **_family("p5e", "H200", "NVIDIA-H200", [("48xlarge", 192, 2048, 8, 100)]),
    **_family("p5en", "H200", "NVIDIA-H200", [("48xlarge", 192, 2048, 8, 198)]),
    **_family("p6-b200", "B200", "NVIDIA-B200", [("48xlarge", 192, 2048, 8, 198)]),
    **_family("m6i", None, None, _GENERAL_SIZES),
    **_family("m7i", None, None, _GENERAL_SIZES),
}


# What the kubelet of an EKS AL2023 node keeps from pods (awslabs/amazon-eks-ami nodeadm
# internal/kubelet/config.go: kube-reserved memory 11 MiB per pod of maxPods + 255 MiB; kube-reserved
# CPU 6 % of the first core, 1 % of the second, 0.5 % of the third and fourth, 0.25 % of the rest;
# eviction threshold memory.available 100Mi). The memory the kernel sees is below the instance's
# nominal size; Karpenter estimates the gap as 7.5 % (its vmMemoryOverheadPercent default), and so do we.
VM_MEMORY_OVERHEAD = 0.075
EVICTION_MEMORY_MIB = 100


def allocatable(instance: InstanceType) -> tuple[str, str]:
    """CPU and memory a node of this type offers pods, as Kubernetes quantities (millicores, MiB)."""
    tiers = ((1, 0.06), (1, 0.01), (2, 0.005), (max(instance.vcpus - 4, 0), 0.0025))
    reserved_cpu, cores = 0.0, instance.vcpus
    for count, share in tiers:
        taken = min(count, cores)
        reserved_cpu += taken * 1000 * share
        cores -= taken
    memory_mib = instance.memory_gib * 1024 * (1 - VM_MEMORY_OVERHEAD)
    reserved_mib = 11 * instance.max_pods + 255 + EVICTION_MEMORY_MIB
    return f"{instance.vcpus * 1000 - math.ceil(reserved_cpu)}m", f"{math.floor(memory_mib - reserved_mib)}Mi"


def machine_shapes() -> tuple[MachineShape, ...]:
    """The catalog as the cloud-neutral planner reads it (its suggestions name these types)."""
    return shapes_of(INSTANCE_TYPES.values(), allocatable)


def check_catalog() -> None:
    """The catalog agrees with the GPU catalog: every GPU is known and its product label is one GFD uses."""
    check_machine_catalog(INSTANCE_TYPES.values())
