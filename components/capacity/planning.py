"""A served model against its pool: will it fit, and the vLLM settings derived from the estimate.

`plan_model` is the one place a model is estimated: its ModelPlan holds the verdict (problems, each
with its config path and options that fit), the resolved model (max_num_seqs and start-up budget
filled in) and warnings. The stack's config validation plans every model once (capacity/stack.py)
and the components render from those plans. Options that name machine types come from the catalog
of the platform in use (`machines`), never from a cloud package.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

from ..core.cluster import MachineShape, NodePool, StorageClassInfo
from ..core.cold_start import ColdStart
from ..core.errors import Problem
from ..core.model import ModelSpec
from ..core.placement import gpu_problems
from ..core.quantity import parse_quantity
from ..core.architecture import Architecture
from ..core.catalog import vllm
from ..core.catalog.architectures import ARCHITECTURES
from .estimator import Estimate, estimate

TYPICAL_REQUEST_TOKENS = 1024
"""Length of a typical chat request (prompt and answer), for the derived max_num_seqs."""
STARTUP_BASE_SECONDS = 300
"""Engine start, torch.compile and CUDA graph capture, before and after the weights load."""
STARTUP_SECONDS_PER_GIB = 15
"""Reading weights from the shared cache volume (~70 MiB/s per pod: EFS or NFS under load)."""
MIN_STARTUP_SECONDS = 600
NODE_START_SECONDS = 600
"""Before a model at zero can start: a GPU node from the cluster's autoscaler (provisioning, boot, the
GPU driver and device plugin ready) and the vLLM image (about 10 GB) pulled onto it. An estimate:
clouds take 2-6 minutes for a GPU node, and the pull several more."""
DEFAULT_IDLE_SECONDS = 1800
"""A model at zero rests after half an hour without requests, or after its cold start if longer."""


@dataclass(frozen=True)
class ModelPlan:
    model: ModelSpec
    """The model with what its config leaves unset derived: max_num_seqs, the start-up budget."""
    pool: NodePool
    """The pool it runs on, from the cluster contract."""
    estimate: Optional[Estimate]
    """None on CPU pools, for a model whose architecture is unknown, or one that cannot be placed."""
    problems: list[Problem] = field(default_factory=list)
    """Why the model would not start on one pod of its pool, with options; empty when it fits."""
    warnings: list[str] = field(default_factory=list)
    surge: bool = True
    """Its pool has room for one more pod at replicas.max: rollouts start a new pod before stopping an old."""
    cache_class: Optional[StorageClassInfo] = None
    """The storage class of its cache, from the cluster contract (set by capacity/stack.plan_stack)."""
    cold_start: Optional[ColdStart] = None
    """For a model with replicas.min 0: its cold start, hold, idle window and queue."""

    @property
    def max_num_seqs(self) -> Optional[int]:
        return self.model.engine.max_num_seqs

    @property
    def startup_timeout_seconds(self) -> int:
        assert self.model.startup_timeout_seconds is not None
        return self.model.startup_timeout_seconds


def architecture_of(model: ModelSpec) -> Optional[Architecture]:
    return model.architecture or ARCHITECTURES.get(model.repo)


def estimate_for(model: ModelSpec, pool: NodePool, tensor_parallel_size: Optional[int] = None, **overrides) -> Estimate:
    arch = architecture_of(model)
    assert arch is not None and pool.gpu is not None
    engine = model.engine
    settings = dict(
        tensor_parallel_size=tensor_parallel_size or engine.tensor_parallel_size,
        gpu_memory_utilization=engine.gpu_memory_utilization,
        max_model_len=engine.max_model_len, quantization=engine.quantization, kv_cache_dtype=engine.kv_cache_dtype,
        max_num_seqs=engine.max_num_seqs, max_num_batched_tokens=engine.max_num_batched_tokens,
    )
    settings.update(overrides)
    gpu_memory = settings.pop("gpu_memory_utilization")
    return estimate(arch, pool.gpu, gpu_memory_utilization=gpu_memory, **settings)


def plan_model(model: ModelSpec, pool: NodePool, path: str = "model", machines: Sequence[MachineShape] = ()) -> ModelPlan:
    """The model on one pod of its pool: verdict, derived settings, warnings; estimated once."""
    plan = _plan_engine(model, pool, path, machines)
    cold = cold_start_plan(plan.model, pool)
    if cold is not None:
        plan = dataclasses.replace(plan, cold_start=cold, warnings=[*plan.warnings, *_hold_warnings(plan.model, cold)])
    unknown = [(i, text) for i, arg in enumerate(model.engine.extra_args) if (text := vllm.unknown_flag(arg))]
    if not unknown:
        return plan
    if model.image is None:
        # The pinned image runs the vLLM these flags were read from: it would exit at start.
        flags = [Problem(f"{path}.engine.extraArgs[{i}]", f"{text}: vLLM would exit at start") for i, text in unknown]
        return dataclasses.replace(plan, problems=[*plan.problems, *flags])
    # Another image may run another vLLM, which may know the flag.
    flags = [f"engine.extraArgs[{i}]: {text}; if {model.image} runs another vLLM that knows it, ignore this"
             for i, text in unknown]
    return dataclasses.replace(plan, warnings=[*plan.warnings, *flags])


def _plan_engine(model: ModelSpec, pool: NodePool, path: str, machines: Sequence[MachineShape]) -> ModelPlan:
    arch = architecture_of(model)
    startup = model.startup_timeout_seconds or startup_seconds(arch)
    placed = gpu_problems(model, pool, path)
    if placed or not pool.is_gpu:
        return ModelPlan(_resolved(model, model.engine.max_num_seqs, startup), pool, None, placed)
    if arch is None:
        return ModelPlan(_resolved(model, model.engine.max_num_seqs, startup), pool, None, [_unknown_architecture(model, path)])
    est = estimate_for(model, pool)
    problems = [] if est.fits else [_does_not_fit(model, pool, est, path, machines)]
    typical = min(est.max_model_len, TYPICAL_REQUEST_TOKENS)
    reachable = max(1, est.kv_cache_tokens // typical)
    warnings = []
    seqs = model.engine.max_num_seqs
    if seqs is None:
        seqs = max(1, min(est.max_num_seqs, reachable))
    elif seqs > reachable:
        warnings.append(
            f"max_num_seqs {seqs} cannot be reached with {typical:,}-token requests: the KV cache holds ~{est.kv_cache_tokens:,} "
            f"tokens, about {reachable} such requests; the rest would wait or be preempted"
        )
    return ModelPlan(_resolved(model, seqs, startup), pool, est, problems, warnings)


def _resolved(model: ModelSpec, max_num_seqs: Optional[int], startup: int) -> ModelSpec:
    engine = model.engine.model_copy(update={"max_num_seqs": max_num_seqs})
    return model.model_copy(update={"engine": engine, "startup_timeout_seconds": startup})


def cold_start_plan(model: ModelSpec, pool: NodePool) -> Optional[ColdStart]:
    """How a model that rests at zero (replicas.min 0) wakes; None for one that does not. `model` is
    resolved (its start-up budget set)."""
    resting = model.resting
    if resting is None:
        return None
    seconds = cold_start_seconds(model)
    return ColdStart(
        seconds=seconds,
        hold_seconds=min(seconds, resting.max_wait_seconds),
        idle_seconds=resting.idle_seconds or max(DEFAULT_IDLE_SECONDS, seconds),
        queue_length=resting.queue_length,
        replica_price_per_hour=_replica_price(model, pool),
    )


def cold_start_seconds(model: ModelSpec) -> int:
    """From a request for a model at zero to its ready replica: a node, the image, the start-up budget."""
    return NODE_START_SECONDS + (model.startup_timeout_seconds or startup_seconds(architecture_of(model)))


def _replica_price(model: ModelSpec, pool: NodePool) -> Optional[float]:
    """One replica's share of its node's hourly price (at spot on a spot pool), by GPUs."""
    spot = pool.spot_price_per_node_hour if pool.capacity_type == "spot" else None
    price = spot if spot is not None else pool.price_per_node_hour
    if price is None or not pool.is_gpu or pool.gpus_per_node < 1:
        return None
    return round(price * min(1.0, model.gpus_per_replica / pool.gpus_per_node), 4)


def _hold_warnings(model: ModelSpec, cold: ColdStart) -> list[str]:
    if cold.hold_seconds >= cold.seconds:
        return []
    return [f"scaleToZero.maxWaitSeconds {cold.hold_seconds}s is shorter than the model's cold start (~{cold.seconds}s: "
            f"a GPU node, the image, a {cold.seconds - NODE_START_SECONDS}s start-up budget): the first requests after a rest "
            f"are answered 503 with Retry-After {cold.retry_after_seconds}s; raise maxWaitSeconds to {cold.seconds} to hold them"]


def startup_seconds(arch: Optional[Architecture]) -> int:
    """A start-up budget from the weight size: base time plus reading the weights, in whole minutes."""
    if arch is None:
        return 1800
    seconds = STARTUP_BASE_SECONDS + STARTUP_SECONDS_PER_GIB * arch.total_weights_gib
    return max(MIN_STARTUP_SECONDS, math.ceil(seconds / 60) * 60)


def _unknown_architecture(model: ModelSpec, path: str) -> Problem:
    return Problem(f"{path}.architecture", (
        f"'{model.repo}' is not in the architecture catalog, so its memory cannot be checked: declare the numbers "
        "of its config.json here (paramsB, numHiddenLayers, hiddenSize, numAttentionHeads, numKeyValueHeads, "
        "headDim, vocabSize, maxPositionEmbeddings, dtype, quantization) or add it to components/core/catalog/architectures.yaml"
    ))


def _does_not_fit(model: ModelSpec, pool: NodePool, est: Estimate, path: str, machines: Sequence[MachineShape]) -> Problem:
    label = f"{model.repo} on {est.tensor_parallel_size} x {pool.gpu}"
    options = _options(model, pool, est, machines)
    suffix = f". Options: {'; or '.join(options)}" if options else ""
    return Problem(path, f"{label}: {'; '.join(est.problems)}{suffix}")


# Which vLLM --quantization methods read each checkpoint format (vLLM 0.33 model_executor/layers/
# quantization: awq/awq_marlin and gptq/gptq_marlin read their own formats, moe_wna16 reads either for
# MoE layers; fp8, bitsandbytes, experts_int8 and torchao also quantize an unquantized checkpoint at
# load time). Unset lets vLLM read the format from the checkpoint's config.
METHODS_FOR_CHECKPOINT: dict[Optional[str], frozenset[str]] = {
    None: frozenset({"fp8", "bitsandbytes", "experts_int8", "torchao"}),
    "awq": frozenset({"awq", "awq_marlin", "moe_wna16"}),
    "gptq": frozenset({"gptq", "gptq_marlin", "moe_wna16"}),
    "fp8": frozenset({"fp8", "compressed-tensors", "modelopt"}),
    "int8": frozenset({"compressed-tensors", "experts_int8"}),
    "mxfp4": frozenset({"mxfp4"}),
}
FEWER_SEQS = (256, 128, 64)
"""maxNumSeqs offered when fewer concurrent sequences would make a model fit (largest first)."""
HIGHER_UTILIZATION = (0.92, 0.95)
"""gpuMemoryUtilization offered above the stacks' 0.9: vLLM's own default, and the most that leaves the
CUDA context its room beside the budget on every GPU of the catalog (the estimate checks that too)."""
CACHE_MARGIN = 0.1
"""Room on the cache volume beyond the weights: file-system overhead and block rounding."""
CACHE_EXTRA_GIB = 2
"""Tokenizer, configs and the file being downloaded, beyond the weights."""


def checkpoint_problems(model: ModelSpec, path: str, gpu_pool: bool = False) -> list[Problem]:
    """What the architecture catalog knows about the checkpoint, checked on every pool: the
    quantization method must read its format, the cache volume must hold the weights, and (where no
    GPU estimate says it with options) the context must not exceed the model's."""
    arch = architecture_of(model)
    if arch is None:
        return []
    problems = []
    method = model.engine.quantization
    if method is not None and method not in METHODS_FOR_CHECKPOINT.get(arch.quantization, frozenset()):
        stored = f"{arch.quantization}-quantized" if arch.quantization else "unquantized"
        fitting = ", ".join(sorted(METHODS_FOR_CHECKPOINT.get(arch.quantization, ())))
        problems.append(Problem(f"{path}.engine.quantization", (
            f"'{method}' cannot read {model.repo}, whose checkpoint is {stored}: vLLM would fail at start, after the "
            f"download. Leave it unset (vLLM reads the format from the checkpoint){f', or use {fitting}' if fitting else ''}"
        )))
    if not gpu_pool and model.engine.max_model_len is not None and model.engine.max_model_len > arch.max_position_embeddings:
        problems.append(Problem(f"{path}.engine.maxModelLen", (
            f"{model.engine.max_model_len:,} tokens, but {model.repo} takes at most {arch.max_position_embeddings:,} "
            f"(max_position_embeddings); vLLM refuses a longer context: use maxModelLen <= {arch.max_position_embeddings:,}"
        )))
    needed = cache_size_gib(arch)
    size_gib = float(parse_quantity(model.cache.size)) / 2**30
    if size_gib < needed:
        problems.append(Problem(f"{path}.cache.size", (
            f"{model.cache.size} cannot hold {model.repo}: its weights are {arch.total_weights_gib:.1f} GiB, and the "
            f"download needs room beyond them; the populate Job would fail with a full volume. Use size: {needed}Gi "
            f"or more (twice the weights to keep the old revision while a new one downloads)"
        )))
    return problems


def cache_size_gib(arch: Architecture) -> int:
    """The smallest cache volume, in whole GiB, that holds one revision of the weights."""
    return math.ceil(arch.total_weights_gib * (1 + CACHE_MARGIN) + CACHE_EXTRA_GIB)


def _options(model: ModelSpec, pool: NodePool, est: Estimate, machines: Sequence[MachineShape]) -> list[str]:
    """Changes of the model's config, in its own keys, each one planned again and kept only if it fits."""
    longest = architecture_of(model).max_position_embeddings
    candidates: list[tuple[str, dict, dict]] = []
    if est.max_model_len > longest:
        candidates.append((f"engine.maxModelLen: {min(longest, est.max_fitting_model_len):,}",
                           {"max_model_len": min(longest, est.max_fitting_model_len)}, {}))
    elif est.kv_cache_gib > 0 and est.max_fitting_model_len >= 1024:
        shorter = _floor_to(est.max_fitting_model_len, 1024)
        candidates.append((f"engine.maxModelLen: {shorter:,}", {"max_model_len": shorter}, {}))
    if est.kv_cache_gib > 0 and model.engine.kv_cache_dtype == "auto":
        candidates.append(("engine.kvCacheDtype: fp8", {"kv_cache_dtype": "fp8"}, {}))
    if model.engine.max_num_seqs is None or model.engine.max_num_seqs > FEWER_SEQS[-1]:
        # The profile run's sampler peak grows with max_num_seqs x vocabulary (1,024 x 201,088 is 6.9 GiB
        # for gpt-oss): fewer concurrent sequences free memory for the KV cache.
        for seqs in FEWER_SEQS:
            if seqs < est.max_num_seqs and estimate_for(model, pool, max_num_seqs=seqs).fits:
                candidates.append((f"engine.maxNumSeqs: {seqs}", {"max_num_seqs": seqs}, {}))
                break
    for utilization in HIGHER_UTILIZATION:
        if utilization > est.gpu_memory_utilization and estimate_for(model, pool, gpu_memory_utilization=utilization).fits:
            candidates.append((f"engine.gpuMemoryUtilization: {utilization}", {"gpu_memory_utilization": utilization}, {}))
            break
    tp = est.tensor_parallel_size * 2
    while tp <= 8:
        if estimate_for(model, pool, tensor_parallel_size=tp).fits:
            candidates.append((f"engine.tensorParallelSize: {tp} {_where(pool, tp, machines)}", {}, {"tensor_parallel_size": tp}))
            break
        tp *= 2
    options = [text for text, engine, tp_override in candidates
               if estimate_for(model, pool, **tp_override, **engine).fits]
    return options + _quantized_variants(model, pool)


def _where(pool: NodePool, gpus: int, machines: Sequence[MachineShape]) -> str:
    if pool.gpus_per_node >= gpus:
        return f"(nodes of pool '{pool.name}' have {pool.gpus_per_node} GPUs)"
    fitting = sorted((m for m in machines if m.gpu == pool.gpu and m.gpus >= gpus), key=lambda m: (m.gpus, m.vcpus))
    example = f", e.g. {fitting[0].name}" if fitting else ""
    return f"on a pool with {gpus} x {pool.gpu} per node{example}"


def _quantized_variants(model: ModelSpec, pool: NodePool) -> list[str]:
    """Catalog models of the same shape with quantized weights that would fit as configured. Only for
    a catalog model: one declared by its own architecture (a fine-tune, say) is not its base's variants."""
    arch = architecture_of(model)
    if arch is None or arch.quantization or model.architecture is not None:
        return []
    same_shape = [
        repo for repo, other in ARCHITECTURES.items()
        if other.quantization and (other.num_hidden_layers, other.hidden_size, other.vocab_size)
        == (arch.num_hidden_layers, arch.hidden_size, arch.vocab_size)
    ]
    found = []
    for repo in sorted(same_shape):
        variant = model.model_copy(update={"repo": repo, "architecture": None})
        if estimate_for(variant, pool).fits:
            found.append(f"repo: {repo} ({ARCHITECTURES[repo].total_weights_gib:.0f} GiB of weights)")
    return found[:2]


def _floor_to(value: int, step: int) -> int:
    return value // step * step
