"""GPU catalog: one entry per GPU type a pool can declare.

product_labels: values of the `nvidia.com/gpu.product` node label that NVIDIA GPU Feature Discovery
(bundled with the GPU Operator) sets: the driver's device name with spaces replaced by '-'
(NVIDIA/k8s-device-plugin internal/lm/resource.go, getProductName/sanitise). Boards of one type
(SXM, PCIe) differ, so a type lists each. Deliberately absent:
- the `-SHARED` variants GFD uses for time-sliced GPUs: vLLM takes a whole GPU's memory;
- the pre-R470 names without the `NVIDIA-` prefix: the pinned vLLM image needs an R580+ driver.
Case matters (`NVIDIA-A100-PCIE-40GB` vs `NVIDIA-A100-80GB-PCIe` are both real).

memory_mib: the `nvidia.com/gpu.memory` label (total device memory in MiB, from NVML) where it was
observed on real nodes; otherwise the board's nominal size. `observed` says which.

cuda_total_gib: total memory as the CUDA runtime reports it (`cudaMemGetInfo`, what vLLM multiplies
by gpu_memory_utilization). It is below the NVML total by what the driver reserves. Where a vLLM
log or a PyTorch OOM message of a real device shows it, that value is used (sources below);
otherwise NVML total - 0.5 GiB, at least the largest gap seen (H100: 79.65 vs 79.18), so an
estimate errs towards "does not fit".
Observed, on a named device: H100-80GB 79.18 (llm-d/llm-d-benchmark, vLLM logs on H100),
RTX-3090 23.58 (vllm-project/vllm#10517), A10 21.99 (QwenLM/Qwen3#1387, PyTorch "total capacity of
21.99 GiB" on 4 x A10), L40S 44.39 (a vLLM deployment note on L40S quoting PyTorch's "total capacity
of 44.39 GiB"). The rest are estimates.

Sources (label values seen verbatim): NVIDIA cloud-native-docs gpu-operator/gpu-sharing.rst (T4),
openshift/mig-ocp.rst (A100-SXM4-40GB, 40536), gpu-operator/manifests/output/mig-node-labels.json
(H100-80GB-HBM3, 81559); `kubectl describe node` outputs in public issues and guides for the rest
(A10G 23028 on g5, A10 23028, L4 23034, L40S 46068, RTX-A6000 49140, H100-PCIe 81559, H20 97871;
H100 NVL 95830 with its label, in a public GPU Operator v26.3 deployment write-up of an H100 NVL node:
the 94 GB board of Azure's NCads H100 v5 sizes).
"""

from __future__ import annotations

from dataclasses import dataclass

GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
# GFD appends this to the product label of time-sliced GPUs (NVIDIA gpu-operator docs, gpu-sharing.rst).
SHARED_SUFFIX = "-SHARED"


def product_label(gfd_product: str | None, sharing: int) -> str:
    """The value GFD gives `nvidia.com/gpu.product` on a node of this board, time-sliced or not: for a
    pool that sets it itself at creation, so that the autoscaler can place a model on it at zero."""
    return (gfd_product or "") + (SHARED_SUFFIX if sharing > 1 else "")


CUDA_RESERVE_GIB = 0.5  # NVML total minus CUDA total, where not observed


@dataclass(frozen=True)
class GpuType:
    name: str
    memory_mib: int
    observed: bool
    product_labels: tuple[str, ...]
    cuda_gib: float | None = None
    compute_capability: tuple[int, int] = (0, 0)
    """CUDA compute capability (NVIDIA's CUDA GPUs page, developer.nvidia.com/cuda-gpus; `nvidia-smi
    --query-gpu=compute_cap`): it decides which kernels vLLM picks, and so how some formats load."""

    @property
    def cuda_total_gib(self) -> float:
        """Memory vLLM sees on one device (see the module docstring)."""
        return self.cuda_gib if self.cuda_gib is not None else round(self.memory_mib / 1024 - CUDA_RESERVE_GIB, 2)


def _gpu(name: str, memory_mib: int, observed: bool, *labels: str, cc: tuple[int, int],
         cuda_gib: float | None = None) -> tuple[str, GpuType]:
    return name, GpuType(name, memory_mib, observed, labels, cuda_gib, cc)


GPUS: dict[str, GpuType] = dict([
    _gpu("T4", 15109, True, "Tesla-T4", cc=(7, 5)),
    _gpu("A10G", 23028, True, "NVIDIA-A10G", cc=(8, 6)),
    _gpu("A10", 23028, True, "NVIDIA-A10", cuda_gib=21.99, cc=(8, 6)),
    _gpu("L4", 23034, True, "NVIDIA-L4", cc=(8, 9)),
    _gpu("L40", 46068, False, "NVIDIA-L40", cc=(8, 9)),
    _gpu("L40S", 46068, True, "NVIDIA-L40S", cuda_gib=44.39, cc=(8, 9)),
    _gpu("A40", 46068, False, "NVIDIA-A40", cc=(8, 6)),
    _gpu("RTX-A6000", 49140, True, "NVIDIA-RTX-A6000", cc=(8, 6)),
    _gpu("A100-40GB", 40536, True, "NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-PCIE-40GB", cc=(8, 0)),
    _gpu("A100-80GB", 81920, False, "NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-80GB-PCIe", cc=(8, 0)),
    _gpu("H100-80GB", 81559, True, "NVIDIA-H100-80GB-HBM3", "NVIDIA-H100-PCIe", cuda_gib=79.18, cc=(9, 0)),
    _gpu("H100-NVL", 95830, True, "NVIDIA-H100-NVL", cc=(9, 0)),
    _gpu("H200", 143360, False, "NVIDIA-H200", "NVIDIA-H200-NVL", cc=(9, 0)),
    _gpu("B200", 183296, False, "NVIDIA-B200", cc=(10, 0)),
    _gpu("H20", 97871, True, "NVIDIA-H20", cc=(9, 0)),
    _gpu("RTX-3090", 24576, False, "NVIDIA-GeForce-RTX-3090", cuda_gib=23.58, cc=(8, 6)),
    _gpu("RTX-4090", 24564, False, "NVIDIA-GeForce-RTX-4090", cc=(8, 9)),
])
