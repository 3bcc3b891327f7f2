"""Compute Engine machine types a GKE node pool can declare: what one node of each type has.

A GPU pool names only its machine type; its GPU model and count come from here (the A2, A3 and G2
series come with their GPUs fixed: Compute Engine "GPU machine types", https://cloud.google.com/compute/docs/gpus/,
"To run NVIDIA L4 GPUs, you must use a G2 ..."; "... H100 80GB GPUs, you must use an A3 ..."), and the
GPU's own facts from the GPU catalog.

Sources, read 2026-12-03:
- vCPUs and memory: `gcloud compute machine-types list` export in Cyclenerd/google-cloud-pricing-cost-calculator
  tools/machinetypes.csv (file last changed 2026-07-01); GPU counts, accelerator types and bundled local
  SSD: the same repository's build/gcp.yml @fd66b26ff84f and tools/acceleratortypes.csv, cross-checked
  with Google's GPU page for a3-highgpu-8g (8 GPUs, 208 vCPU, 1,872 GB, 6,000 GB local SSD).
- Accelerator availability per zone (us-central1, europe-west4): SkyPilot's GCP catalog
  (skypilot-org/skypilot-catalog catalogs/v8/gcp/vms.csv @006059e0f18a, undated), agreeing with a
  2023 gcloud zone export (Cyclenerd tools/acceleratortypezone.csv) where both list a zone.
- Allocatable: GKE's node reservations ("Plan node sizes", cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes)
  as the cluster autoscaler computes them to predict a node (kubernetes/autoscaler
  cluster-autoscaler/cloudprovider/gce/reserved.go @729ba95): see `allocatable`.

gfd_product: the `nvidia.com/gpu.product` value GPU Feature Discovery sets on that machine's nodes
(SXM boards in A2 and A3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from ..core.cluster import MachineShape, check_machine_catalog, shapes_of, tiered


@dataclass(frozen=True)
class MachineType:
    name: str
    vcpus: int
    memory_gib: float
    gpu: Optional[str] = None
    gpus: int = 0
    accelerator: Optional[str] = None
    """The GKE accelerator type (guest_accelerators type, and the node label cloud.google.com/gke-accelerator)."""
    gfd_product: Optional[str] = None
    local_ssd_gb: int = 0
    """Local SSD that comes with the machine (and is in its price)."""

    @property
    def family(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def series(self) -> str:
        """e.g. g2-standard, a2-highgpu, a3-megagpu, n1-standard."""
        return self.name.rsplit("-", 1)[0]


def _gpu_family(series: str, gpu: str, accelerator: str, product: str,
                sizes: list[tuple[str, int, float, int, int]]) -> dict[str, MachineType]:
    """(size, vCPUs, memory GiB, GPUs, bundled local SSD GB) of one series."""
    return {f"{series}-{size}": MachineType(f"{series}-{size}", vcpus, memory, gpu, gpus, accelerator, product, ssd)
            for size, vcpus, memory, gpus, ssd in sizes}


MACHINE_TYPES: dict[str, MachineType] = {
    **_gpu_family("g2-standard", "L4", "nvidia-l4", "NVIDIA-L4", [
        ("4", 4, 16, 1, 0), ("8", 8, 32, 1, 0), ("12", 12, 48, 1, 0), ("16", 16, 64, 1, 0),
        ("24", 24, 96, 2, 0), ("32", 32, 128, 1, 0), ("48", 48, 192, 4, 0), ("96", 96, 384, 8, 0)]),
    **_gpu_family("a2-highgpu", "A100-40GB", "nvidia-tesla-a100", "NVIDIA-A100-SXM4-40GB", [
        ("1g", 12, 85, 1, 0), ("2g", 24, 170, 2, 0), ("4g", 48, 340, 4, 0), ("8g", 96, 680, 8, 0)]),
    **_gpu_family("a2-megagpu", "A100-40GB", "nvidia-tesla-a100", "NVIDIA-A100-SXM4-40GB", [("16g", 96, 1360, 16, 0)]),
    **_gpu_family("a2-ultragpu", "A100-80GB", "nvidia-a100-80gb", "NVIDIA-A100-SXM4-80GB", [
        ("1g", 12, 170, 1, 375), ("2g", 24, 340, 2, 750), ("4g", 48, 680, 4, 1500), ("8g", 96, 1360, 8, 3000)]),
    **_gpu_family("a3-highgpu", "H100-80GB", "nvidia-h100-80gb", "NVIDIA-H100-80GB-HBM3", [
        ("1g", 26, 234, 1, 750), ("2g", 52, 468, 2, 1500), ("4g", 104, 936, 4, 3000), ("8g", 208, 1872, 8, 6000)]),
    **_gpu_family("a3-megagpu", "H100-80GB", "nvidia-h100-mega-80gb", "NVIDIA-H100-80GB-HBM3", [("8g", 208, 1872, 8, 6000)]),
    # General purpose, for the system pool (no GPU): n1-standard-N has N vCPUs and 3.75 N GiB.
    **{f"n1-standard-{n}": MachineType(f"n1-standard-{n}", n, 3.75 * n) for n in (2, 4, 8, 16, 32)},
}

# Zones offering each accelerator, where the catalog knows the region (see the sources above).
ACCELERATOR_ZONES: dict[str, dict[str, tuple[str, ...]]] = {
    "us-central1": {
        "nvidia-l4": ("a", "b", "c"), "nvidia-tesla-a100": ("a", "b", "c", "f"), "nvidia-a100-80gb": ("a", "c"),
        "nvidia-h100-80gb": ("a", "b", "c"), "nvidia-h100-mega-80gb": ("a", "b", "c"),
    },
    "europe-west4": {
        "nvidia-l4": ("a", "b", "c"), "nvidia-tesla-a100": ("a", "b"), "nvidia-a100-80gb": ("a",),
        "nvidia-h100-80gb": ("b", "c"), "nvidia-h100-mega-80gb": ("b", "c"),
    },
}


def zones_offering(region: str, accelerator: str) -> Optional[tuple[str, ...]]:
    """Full zone names of `region` that offer `accelerator`; None where the catalog does not know the region."""
    known = ACCELERATOR_ZONES.get(region)
    if known is None:
        return None
    return tuple(f"{region}-{suffix}" for suffix in known.get(accelerator, ()))


# GKE's reservations, as the cluster autoscaler predicts them (reserved.go): kube-reserved memory of
# 25 % of the first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % of the next 112 and 2 % above
# 128 (its tier bounds in units of 1000 MiB, "duplicating an upstream bug"); an eviction threshold of
# 100 MiB; the kernel's share of the machine's memory (its Linux estimate: 1/64 of memory + 16 MiB,
# + 64 MiB above 3 GiB, + 8 MiB up to 8 GiB, + Container-Optimized OS's min(0.175 %, 248 MiB)); CPU
# 6 % of the first core, 1 % of the second, 0.5 % of the next two, 0.25 % of the rest. Google's own
# example node (4 vCPU, 16 GiB-class: 13,182 MiB allocatable) lies 114 MiB under this prediction for
# 16 GiB, so SAFETY_MIB more is kept back: pods sized to the figure here fit a real node.
_MEMORY_TIERS_MIB = ((4000, 0.25), (4000, 0.20), (8000, 0.10), (112000, 0.06), (math.inf, 0.02))
_CPU_TIERS = ((1, 0.06), (1, 0.01), (2, 0.005), (math.inf, 0.0025))
EVICTION_MEMORY_MIB = 100
SAFETY_MIB = 128


def kernel_reserved_mib(memory_mib: float) -> float:
    reserved = memory_mib / 64 + 16 + (64 if memory_mib > 3 * 1024 else 0) + (8 if memory_mib <= 8 * 1024 else 0)
    return reserved + min(memory_mib * 0.00175, 248)


def allocatable(machine: MachineType) -> tuple[str, str]:
    """CPU and memory a GKE node of this type offers pods, as Kubernetes quantities (millicores, MiB)."""
    memory_mib = machine.memory_gib * 1024
    capacity = memory_mib - math.ceil(kernel_reserved_mib(memory_mib))
    kube_reserved = math.floor(tiered(memory_mib, _MEMORY_TIERS_MIB))
    cpu_reserved = math.ceil(tiered(machine.vcpus, _CPU_TIERS) * 1000)
    memory = math.floor(capacity - kube_reserved - EVICTION_MEMORY_MIB - SAFETY_MIB)
    return f"{machine.vcpus * 1000 - cpu_reserved}m", f"{memory}Mi"


def machine_shapes() -> tuple[MachineShape, ...]:
    """The catalog as the cloud-neutral planner reads it (its suggestions name these types)."""
    return shapes_of(MACHINE_TYPES.values(), allocatable)


def check_catalog() -> None:
    """The catalog agrees with the GPU catalog: every GPU is known and its product label is one GFD uses."""
    check_machine_catalog(MACHINE_TYPES.values())
    for machine in MACHINE_TYPES.values():
        assert (machine.accelerator is None) == (machine.gpu is None), machine.name
