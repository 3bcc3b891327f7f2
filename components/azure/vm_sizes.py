"""Azure VM sizes an AKS agent pool can declare: what one node of each size has.

A GPU pool names only its VM size; its GPU model and count come from here, and the GPU's own facts
from the GPU catalog (`Standard_NC24ads_A100_v4` means 1 x A100 80GB PCIe).

Sources, read 2026-12-03:
- vCPUs, memory, GPU model and count: Microsoft Learn's size pages per series (NCasT4_v3, NC A100 v4,
  ND A100 v4, NDm A100 v4, NCads H100 v5, ND H100 v5, Dsv5, Ddsv5), cross-checked with the Resource SKU
  figures in skypilot-org/skypilot-catalog catalogs/v6/azure/vms.csv @098741e7. Where they disagree
  the smaller memory is kept (Standard_ND96amsr_A100_v4: 1,900 GB in the docs' table, 1,800 GiB from
  the SKU API), so pods sized to it fit a real node.
- Sizes AKS installs GPU software for: Azure/karpenter-provider-azure pkg/utils/supported-gpus.yaml
  (last changed 2026-07-13); AKS skips the driver on sizes outside it.
- Allocatable: AKS's node resource reservations (MicrosoftDocs/azure-aks-docs
  articles/aks/node-resource-reservations.md, ms.date 2026-06-11), see `allocatable`.

gfd_product: the `nvidia.com/gpu.product` value GPU Feature Discovery sets: the device name with
spaces as '-'. Tesla-T4 was seen on an AKS node; the others follow from the board each series uses.

Left out, with the reason a config that names one is given (REFUSED): the NVads A10 v5 sizes. The
smaller three have a fraction of a GPU that Azure still reports as one; all of them run NVIDIA's
vGPU (GRID) driver R570 on AKS (the GPU reports itself as `NVIDIA A10-24Q`), older than the R580 the
pinned vLLM image needs. ND H200 v5 is not sold in the regions the catalog knows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional

from ..core.cluster import MachineShape, check_machine_catalog, shapes_of, tiered


@dataclass(frozen=True)
class VmSize:
    name: str
    vcpus: int
    memory_gib: float
    gpu: Optional[str] = None
    gpus: int = 0
    gfd_product: Optional[str] = None
    mig: bool = False
    """Its GPUs can be partitioned (agent pool gpuInstanceProfile): A100 and H100 sizes."""

    @property
    def series(self) -> str:
        """The size's family with its number as *: Standard_NC24ads_A100_v4 -> NC*ads_A100_v4."""
        return re.sub(r"^Standard_([A-Z]+)\d+", r"\1*", self.name)


def _size(name: str, vcpus: int, memory_gib: float, gpu: Optional[str] = None, gpus: int = 0,
          product: Optional[str] = None, mig: bool = False) -> tuple[str, VmSize]:
    return name, VmSize(name, vcpus, memory_gib, gpu, gpus, product, mig)


VM_SIZES: dict[str, VmSize] = dict([
    _size("Standard_NC4as_T4_v3", 4, 28, "T4", 1, "Tesla-T4"),
    _size("Standard_NC8as_T4_v3", 8, 56, "T4", 1, "Tesla-T4"),
    _size("Standard_NC16as_T4_v3", 16, 110, "T4", 1, "Tesla-T4"),
    _size("Standard_NC64as_T4_v3", 64, 440, "T4", 4, "Tesla-T4"),
    _size("Standard_NC24ads_A100_v4", 24, 220, "A100-80GB", 1, "NVIDIA-A100-80GB-PCIe", mig=True),
    _size("Standard_NC48ads_A100_v4", 48, 440, "A100-80GB", 2, "NVIDIA-A100-80GB-PCIe", mig=True),
    _size("Standard_NC96ads_A100_v4", 96, 880, "A100-80GB", 4, "NVIDIA-A100-80GB-PCIe", mig=True),
    _size("Standard_ND96asr_v4", 96, 900, "A100-40GB", 8, "NVIDIA-A100-SXM4-40GB", mig=True),
    _size("Standard_ND96amsr_A100_v4", 96, 1800, "A100-80GB", 8, "NVIDIA-A100-SXM4-80GB", mig=True),
    _size("Standard_NC40ads_H100_v5", 40, 320, "H100-NVL", 1, "NVIDIA-H100-NVL", mig=True),
    _size("Standard_NC80adis_H100_v5", 80, 640, "H100-NVL", 2, "NVIDIA-H100-NVL", mig=True),
    _size("Standard_ND96isr_H100_v5", 96, 1900, "H100-80GB", 8, "NVIDIA-H100-80GB-HBM3", mig=True),
    # General purpose, for the system pool (no GPU).
    _size("Standard_D4s_v5", 4, 16), _size("Standard_D8s_v5", 8, 32), _size("Standard_D16s_v5", 16, 64),
    _size("Standard_D4ds_v5", 4, 16), _size("Standard_D8ds_v5", 8, 32), _size("Standard_D16ds_v5", 16, 64),
])

REFUSED: dict[str, str] = {
    **{name: (f"{name} has part of an A10 that Azure reports as a whole GPU, under NVIDIA's vGPU driver R570; the "
              "vLLM image needs R580+: use Standard_NC*as_T4_v3, Standard_NC*ads_A100_v4 or Standard_NC*ads_H100_v5")
       for name in ("Standard_NV6ads_A10_v5", "Standard_NV12ads_A10_v5", "Standard_NV18ads_A10_v5")},
    **{name: (f"{name} runs NVIDIA's vGPU (GRID) driver R570 on AKS, older than the R580 the vLLM image needs: use "
              "Standard_NC*as_T4_v3, Standard_NC*ads_A100_v4 or Standard_NC*ads_H100_v5")
       for name in ("Standard_NV36ads_A10_v5", "Standard_NV36adms_A10_v5", "Standard_NV72ads_A10_v5")},
}

# AKS's reservations (node-resource-reservations.md): kube-reserved CPU of 6 % of the first core, 4 %
# of the second, 2 % of the third and fourth and 1 % of each further one (it reproduces the page's
# table from 1 to 64 cores; above 64 the 1 % is assumed to go on, which no source states); memory,
# from AKS 1.29, the lesser of 20 MiB per pod the node may run + 50 MiB and 25 % of its memory, and
# an eviction threshold of 100 MiB. A node runs MAX_PODS pods (Azure CNI Overlay's default,
# concepts-network-ip-address-planning.md; a default cluster's kubelet shows --max-pods=250 and
# --kube-reserved memory=5050Mi). A node's memory capacity is below its size's nominal memory (an
# F2s_v2 of 4 GiB reports 3,931 MiB, Azure/AKS#3525): VM_MEMORY_OVERHEAD of it is kept back, as
# Azure's Karpenter provider assumes (--vm-memory-overhead-percent 0.075).
_CPU_TIERS = ((1, 0.06), (1, 0.04), (2, 0.02), (math.inf, 0.01))
MAX_PODS = 250
EVICTION_MEMORY_MIB = 100
VM_MEMORY_OVERHEAD = 0.075


def kube_reserved(size: VmSize) -> tuple[int, int]:
    """AKS's kube-reserved CPU (millicores) and memory (MiB) on a node of this size."""
    cpu = math.ceil(round(tiered(size.vcpus, _CPU_TIERS) * 1000, 3))  # 180.00000000000003 is 180
    return cpu, math.floor(min(20 * MAX_PODS + 50, size.memory_gib * 1024 / 4))


def allocatable(size: VmSize) -> tuple[str, str]:
    """CPU and memory an AKS node of this size offers pods, as Kubernetes quantities (millicores, MiB)."""
    cpu, memory = kube_reserved(size)
    capacity = size.memory_gib * 1024 * (1 - VM_MEMORY_OVERHEAD)
    return f"{size.vcpus * 1000 - cpu}m", f"{math.floor(capacity - memory - EVICTION_MEMORY_MIB)}Mi"


def machine_shapes() -> tuple[MachineShape, ...]:
    """The catalog as the cloud-neutral planner reads it (its suggestions name these sizes)."""
    return shapes_of(VM_SIZES.values(), allocatable)


def check_catalog() -> None:
    """The catalog agrees with the GPU catalog: every GPU is known and its product label is one GFD uses."""
    check_machine_catalog(VM_SIZES.values())
    assert not any(size.mig for size in VM_SIZES.values() if size.gpu is None)
    assert not set(REFUSED) & set(VM_SIZES)
