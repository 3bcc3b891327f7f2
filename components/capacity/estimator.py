"""Predict what vLLM will do with a model on a GPU, before any GPU exists.

The accounting follows vLLM 0.33.0's own (V1 engine, GPU worker; file:line in the comments):

- budget = ceil(total · gpu_memory_utilization), where total is the device memory CUDA reports
  (worker/gpu_worker.py). The CUDA context, NCCL and cuBLAS handles are allocated before vLLM's
  memory snapshot, so they sit outside the budget but must fit beside it.
- Inside the budget: the weights on this rank, runtime buffers, the activation peak of the profile
  run (one forward pass of `max_num_batched_tokens` tokens, then logits and the sampler for
  min(max_num_seqs, tokens) rows, once in fp32), and the CUDA graphs vLLM captures. Whatever is
  left is the KV cache.
- The KV cache is paged: blocks of 16 tokens; a block of a layer holds K and V for every KV head on
  this rank (2 · 16 · kv_heads · head_dim · bytes; MLA: 16 · (kv_lora_rank + rope_dim) · bytes).
  Hybrid models (sliding window + full attention) group layers so all groups share one page size
  (v1/core/kv_cache_utils.py); sliding-window groups need only the window's blocks per request.
- vLLM refuses to start when one request of max_model_len does not fit (kv_cache_utils.py,
  "To serve at least one request with the model's max seq len ...").

The parts vLLM measures rather than computes (buffers, activation peak, graphs) are modelled with
constants fitted to real startup logs (tests/data/vllm_startup_logs.yaml); `OVERHEAD` documents them.
Those logs come from vLLM versions of mid-2024 to 0.21, so a configuration counts as fitting only with
`FIT_MARGIN` to spare: the estimator errs towards "does not fit".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Optional, Union

from ..core.catalog.gpus import GPUS, GpuType
from ..core.architecture import DTYPE_BYTES, QUANTIZED_BYTES, Architecture
from ..core.catalog.architectures import ARCHITECTURES

GIB = 2**30
BLOCK_SIZE = 16          # tokens per KV block (FlashAttention backends; config/cache.py)
KV_DTYPE_BYTES = {"fp8": 1, "fp8_e4m3": 1, "fp8_e5m2": 1, "fp8_inc": 1, "bfloat16": 2, "float16": 2}
DEFAULT_GPU_MEMORY_UTILIZATION = 0.92  # vLLM 0.33.0 config/cache.py:215
FIT_MARGIN = 0.10
"""One request of max_model_len must fit in 90 % of the estimated KV memory: the estimate's error."""


@dataclass(frozen=True)
class Overhead:
    """Memory vLLM measures at startup, modelled (GiB unless noted). Fitted to the cited logs."""

    context_gib: float = 0.6
    """CUDA context, cuBLAS and NCCL before vLLM's snapshot: outside the budget, must fit beside it."""
    runtime_gib: float = 0.6
    """Model-runner and workspace buffers, non-torch allocations, allocator slack; fitted (it also
    absorbs the CUDA graph memory, which the older logs did not count separately)."""
    activation_bytes_per_token_hidden: float = 11.0
    """Forward activation peak per batched token, per hidden unit (bytes); fitted on the RTX 3090
    logs, whose profile batch grew with max_model_len (0.92 GiB more for 9,000 more tokens)."""
    activation_bytes_per_token_intermediate: float = 4.0
    """... per MLP intermediate unit on this rank: the gate/up projection output in 16-bit."""
    logits_bytes_per_vocab: float = 36.0
    """Sampler peak per dummy request per vocabulary entry: logits, their fp32 copy and the sort of
    top-k/top-p; fitted on the H100 breakdowns (Qwen3-32B 5.64 GiB for 1,024 x 151,936)."""
    cuda_graph_gib: float = 0.0
    """CUDA graphs beyond the runtime constant; 0 until logs of a version that counts them exist."""


OVERHEAD = Overhead()


@dataclass(frozen=True)
class Estimate:
    model: str
    gpu: str
    tensor_parallel_size: int
    pipeline_parallel_size: int
    gpu_memory_utilization: float
    max_model_len: int
    kv_cache_dtype: str
    max_num_seqs: int
    max_num_batched_tokens: int
    total_gib: float
    """Memory of one GPU as CUDA reports it."""
    budget_gib: float
    """total x gpu_memory_utilization: everything vLLM may use on one GPU."""
    weights_gib: float
    """Weights on one GPU."""
    overhead_gib: float
    """Runtime buffers, activation peak and CUDA graphs on one GPU."""
    kv_cache_gib: float
    """Left for the KV cache on one GPU."""
    kv_bytes_per_token: float
    """KV cache per token of one request, on one GPU."""
    kv_cache_tokens: int
    """Tokens the engine can cache, as vLLM logs `GPU KV cache size: N tokens`."""
    max_concurrency: float
    """Requests of max_model_len that fit at once."""
    max_fitting_model_len: int
    """The longest max_model_len one request could have with this memory."""
    fits: bool
    problems: list[str] = field(default_factory=list)

    @property
    def gpus(self) -> int:
        return self.tensor_parallel_size * self.pipeline_parallel_size


def estimate(
    model: Union[str, Architecture],
    gpu: Union[str, GpuType],
    *,
    tensor_parallel_size: int = 1,
    pipeline_parallel_size: int = 1,
    gpu_memory_utilization: float = DEFAULT_GPU_MEMORY_UTILIZATION,
    max_model_len: Optional[int] = None,
    quantization: Optional[str] = None,
    kv_cache_dtype: str = "auto",
    max_num_seqs: Optional[int] = None,
    max_num_batched_tokens: Optional[int] = None,
    overhead: Overhead = OVERHEAD,
    mxfp4_backend: Optional[Mxfp4Backend] = None,
) -> Estimate:
    """What vLLM 0.33.0 would allocate for `model` on `gpu` with these settings, and whether it starts."""
    arch, name = _architecture(model)
    device = GPUS[gpu] if isinstance(gpu, str) else gpu
    tp, pp = tensor_parallel_size, pipeline_parallel_size
    mml = max_model_len or arch.max_position_embeddings
    seqs, batched = _scheduler_defaults(device, max_num_seqs, max_num_batched_tokens, mml)
    total = device.cuda_total_gib
    budget = math.ceil(total * gpu_memory_utilization * GIB) / GIB
    weights = _weights_per_gpu(arch, quantization, tp, pp, mxfp4_backend or mxfp4_backend_for(device))
    activation = _activation_peak(arch, batched, seqs, tp, overhead)
    overheads = overhead.runtime_gib + activation + overhead.cuda_graph_gib
    available = budget - weights - overheads
    layout = _KvLayout.of(arch, kv_cache_dtype, tp, pp, batched)
    problems: list[str] = []
    if total - budget < overhead.context_gib:
        problems.append(
            f"gpuMemoryUtilization {gpu_memory_utilization} leaves {total - budget:.2f} GiB of {total:.1f} GiB for the CUDA "
            f"context and communication buffers, which need about {overhead.context_gib} GiB: vLLM would stop at start-up "
            "(free memory less than desired); lower it"
        )
    if mml > arch.max_position_embeddings:
        problems.append(f"maxModelLen {mml:,} exceeds the model's maximum context of {arch.max_position_embeddings:,} tokens")
    blocks = max(0, math.floor(available * GIB / layout.bytes_per_block)) if available > 0 else 0
    per_request = layout.blocks_per_request(mml)
    concurrency = blocks / per_request if per_request else 0.0
    tokens = int(concurrency * mml)
    fitting_len = layout.max_model_len_for((1 - FIT_MARGIN) * available * GIB, mml_cap=arch.max_position_embeddings)
    if available <= 0:
        problems.append(
            f"the weights ({weights:.1f} GiB per GPU) and runtime ({overheads:.1f} GiB: buffers and the start-up profile's "
            f"peak at maxNumSeqs {seqs:,} and {batched:,} batched tokens) exceed the "
            f"{budget:.1f} GiB vLLM may use ({gpu_memory_utilization} of {total:.1f} GiB): no memory is left for the KV cache"
        )
    elif mml <= arch.max_position_embeddings and (
            layout.bytes_per_block * per_request > (1 - FIT_MARGIN) * available * GIB - layout.bytes_per_block):
        problems.append(
            f"KV cache holds ~{round_tokens(tokens):,} tokens, but one request of maxModelLen {mml:,} must fit in "
            f"{100 - FIT_MARGIN * 100:.0f} % of it (the estimate's {FIT_MARGIN * 100:.0f} % safety margin)"
        )
    return Estimate(
        model=name, gpu=device.name, tensor_parallel_size=tp, pipeline_parallel_size=pp,
        gpu_memory_utilization=gpu_memory_utilization, max_model_len=mml, kv_cache_dtype=kv_cache_dtype,
        max_num_seqs=seqs, max_num_batched_tokens=batched, total_gib=total, budget_gib=budget, weights_gib=weights,
        overhead_gib=overheads, kv_cache_gib=max(available, 0.0), kv_bytes_per_token=layout.bytes_per_token(mml),
        kv_cache_tokens=tokens, max_concurrency=concurrency,
        max_fitting_model_len=fitting_len, fits=not problems, problems=problems,
    )


def _architecture(model: Union[str, Architecture]) -> tuple[Architecture, str]:
    if isinstance(model, Architecture):
        return model, model.source or "model"
    if model not in ARCHITECTURES:
        raise KeyError(f"'{model}' is not in the architecture catalog; pass an Architecture")
    return ARCHITECTURES[model], model


def _scheduler_defaults(device: GpuType, max_num_seqs: Optional[int], max_num_batched_tokens: Optional[int],
                        max_model_len: int) -> tuple[int, int]:
    """vLLM 0.33.0 defaults for the OpenAI server by device memory (engine/arg_utils.py:2975-3037)."""
    memory = device.memory_mib / 1024
    if memory >= 160:
        seqs, batched = 1024, 16384
    elif memory >= 70 and not device.name.startswith("A100"):
        seqs, batched = 1024, 8192
    else:
        seqs, batched = 256, 2048
    seqs = max_num_seqs or seqs
    if max_num_batched_tokens is None:
        batched = min(batched, seqs * max_model_len)
    return seqs, max_num_batched_tokens or batched


Mxfp4Backend = Literal["triton", "marlin", "trtllm", "triton-keeping-scales"]
MXFP4_BYTES_PER_VALUE = 0.5 + 1 / 32
"""MXFP4: a 4-bit value, and one 8-bit (E8M0) scale per block of 32 values."""


def mxfp4_backend_for(device: GpuType) -> Mxfp4Backend:
    """The MoE kernel vLLM 0.33.0 loads an MXFP4 checkpoint (gpt-oss) for, by compute capability
    (model_executor/layers/fused_moe/oracle/mxfp4.py, _get_priority_backends_for_gpt_oss and each
    kernel's is_supported_config): FlashInfer TRT-LLM on SM100, the OpenAI Triton kernels on SM90
    (gpt_oss_triton_kernels_moe.py: SM90 to SM12x; triton_kernels ships in vllm/third_party), and
    Marlin below (Humming outranks Marlin only on SM90, where Triton comes first)."""
    if device.compute_capability >= (10, 0):
        return "trtllm"
    if device.compute_capability >= (9, 0):
        return "triton"
    return "marlin"


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _mxfp4_moe_weights_gib(arch: Architecture, tp: int, pp: int, backend: Mxfp4Backend) -> float:
    """An MXFP4 MoE checkpoint as vLLM 0.33.0 holds it on one rank. Only the experts' MLPs are MXFP4;
    each backend pads their shapes (oracle/mxfp4.py, mxfp4_round_up_hidden_size_and_intermediate_size:
    Marlin and TRT-LLM round the per-rank intermediate size up to 128 and the hidden size to 256, the
    Triton kernels the intermediate size to 64); the Triton path keeps the biases in fp32 and frees
    the original scales once swizzled (oracle/mxfp4.py, convert_to_mxfp4_moe_kernel_format). vLLM
    before that change kept them ("triton-keeping-scales": 64.38 GiB for gpt-oss-120b where this gives
    61.0). The rest (attention, router, embeddings) stays in 16 bits, split across the ranks."""
    hidden, intermediate = arch.hidden_size, math.ceil((arch.intermediate_size or 0) / tp)
    if backend in ("triton", "triton-keeping-scales"):
        intermediate = _round_up(intermediate, 64)
    else:
        intermediate, hidden = _round_up(intermediate, 128), _round_up(hidden, 256)
    experts = (arch.num_experts or 0) * math.ceil(arch.num_hidden_layers / pp)
    shape = experts * 3 * intermediate * hidden  # gate and up (2 x intermediate), down, each x hidden
    values = shape * MXFP4_BYTES_PER_VALUE + (shape / 32 if backend == "triton-keeping-scales" else 0)
    biases = experts * (2 * intermediate + hidden) * (2 if backend in ("marlin", "trtllm") else 4)
    rest = (arch.params_b - arch.expert_params_b) * 1e9 * DTYPE_BYTES[arch.dtype] / (tp * pp)
    return (values + biases + rest) / GIB


def _weights_per_gpu(arch: Architecture, quantization: Optional[str], tp: int, pp: int,
                     mxfp4_backend: Mxfp4Backend) -> float:
    if arch.quantization == "mxfp4" and arch.num_experts and arch.intermediate_size:
        return _mxfp4_moe_weights_gib(arch, tp, pp, mxfp4_backend)
    total = arch.total_weights_gib
    if quantization and not arch.quantization and quantization in QUANTIZED_BYTES:
        # Quantized at load time (e.g. --quantization fp8 on a bf16 checkpoint).
        total = total * QUANTIZED_BYTES[quantization] / DTYPE_BYTES[arch.dtype]
    return total / (tp * pp)


def _activation_peak(arch: Architecture, batched: int, seqs: int, tp: int, overhead: Overhead) -> float:
    intermediate = (arch.intermediate_size or 4 * arch.hidden_size) / tp
    if arch.num_experts:
        intermediate *= min(arch.num_experts_per_tok or 1, arch.num_experts) / 2
    forward = batched * (overhead.activation_bytes_per_token_hidden * arch.hidden_size
                         + overhead.activation_bytes_per_token_intermediate * intermediate)
    logits = min(seqs, batched) * arch.vocab_size * overhead.logits_bytes_per_vocab
    return max(forward, logits) / GIB


@dataclass(frozen=True)
class _KvLayout:
    """vLLM's KV cache groups for one rank: every group of layers shares one page size."""

    page_bytes: int
    group_size: int
    full_groups: int
    sliding_groups: int
    window: int
    inflight: int

    @classmethod
    def of(cls, arch: Architecture, kv_cache_dtype: str, tp: int, pp: int, batched: int) -> "_KvLayout":
        dtype_bytes = KV_DTYPE_BYTES.get(kv_cache_dtype) or DTYPE_BYTES[arch.dtype]
        if arch.is_mla:
            page = BLOCK_SIZE * (arch.kv_lora_rank + arch.qk_rope_head_dim) * dtype_bytes
        else:
            heads = max(1, arch.num_key_value_heads // tp)
            page = 2 * BLOCK_SIZE * heads * arch.kv_head_dim * dtype_bytes
        full = math.ceil(arch.full_attention_layers / pp)
        sliding = math.ceil(arch.sliding_window_layers / pp)
        if not full or not sliding:
            return cls(int(page), full + sliding, 1 if full else 0, 1 if sliding else 0, arch.sliding_window or 0, 2 * batched)
        low, high = min(full, sliding), max(full, sliding)
        group = high if high < 1.5 * low else low
        return cls(int(page), group, math.ceil(full / group), math.ceil(sliding / group), arch.sliding_window or 0, 2 * batched)

    @property
    def bytes_per_block(self) -> int:
        return self.page_bytes * self.group_size

    def blocks_per_request(self, max_model_len: int) -> int:
        full = math.ceil(max_model_len / BLOCK_SIZE) * self.full_groups
        if not self.sliding_groups:
            return full
        span = min(self.window - 1 + self.inflight, max_model_len)
        return full + (math.ceil(span / BLOCK_SIZE) + 1) * self.sliding_groups

    def bytes_per_token(self, max_model_len: int) -> float:
        return self.bytes_per_block * self.blocks_per_request(max_model_len) / max_model_len

    def max_model_len_for(self, available_bytes: float, mml_cap: int) -> int:
        """The largest length one request may have (vLLM's own binary search, same inequality)."""
        low, high = 0, mml_cap
        while low < high:
            mid = (low + high + 1) // 2
            if self.bytes_per_block * self.blocks_per_request(mid) <= available_bytes - self.bytes_per_block:
                low = mid
            else:
                high = mid - 1
        return low


def round_tokens(tokens: int) -> int:
    """Two significant figures, as a person would say it ("~6,600 tokens")."""
    if tokens < 100:
        return tokens
    digits = int(math.log10(tokens)) - 1
    return round(tokens, -digits)
