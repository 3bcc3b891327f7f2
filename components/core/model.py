"""The typed description of one served model, as written under `models[i]` in stack config and as
taken by the ModelCache and VllmModel components. Nothing about a model is typed twice."""

from __future__ import annotations

import re
from typing import Optional

import pydantic

from .architecture import Architecture
from .base import Spec
from .monitoring.spec import AutoscalingSpec
from .catalog import vllm
from .cluster import DnsLabel, DnsSubdomain
from .quantity import Quantity, parse_quantity

_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")

MIN_DRAIN_SECONDS = 120
MAX_STARTUP_SECONDS = 6 * 3600
MAX_HOLD_SECONDS = 3 * 3600
"""The longest a request may be held for a model at zero: past hours, a client has given up."""
# The served name travels in a request header (the gateway routes on it), in Prometheus label
# matchers (alerts, autoscaler queries) and in vLLM's --served-model-name: characters that none of
# them has to quote, and short enough for a header match value (AIGatewayRoute allows 4096).
_SERVED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$")


# The image reference grammar of distribution/reference (reference.go, normalize.go): an optional
# registry host (a first component with a '.' or a port, or localhost), lower-case path components,
# then a tag, a digest, or both.
_DOMAIN = re.compile(r"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$")
_PATH = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
MAX_IMAGE_NAME = 255


def _valid_image(reference: str) -> tuple[bool, str, str]:
    """(valid, tag, digest) of an image reference."""
    rest, _, digest = reference.partition("@")
    if digest and not _DIGEST.match(digest):
        return False, "", digest
    name, tag = rest, ""
    if ":" in rest.rsplit("/", 1)[-1]:
        name, tag = rest.rsplit(":", 1)
        if not _TAG.match(tag):
            return False, tag, digest
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        if not _DOMAIN.match(parts[0]):
            return False, tag, digest
        parts = parts[1:]
    valid = len(name) <= MAX_IMAGE_NAME and all(_PATH.match(part) for part in parts)
    return valid, tag, digest


def check_pinned_image(reference: str) -> str:
    """An image must be a valid reference that names a version: a tag other than `latest`, or a
    sha256 digest (64 hex digits)."""
    valid, tag, digest = _valid_image(reference)
    if not valid:
        raise ValueError(
            f"'{reference}' is not an image reference such as registry.example.com/vllm/vllm-openai:v0.33.0 "
            "(lower-case repository, no spaces; a digest is @sha256: and 64 hex digits)"
        )
    if not digest and tag in ("", "latest"):
        raise ValueError(f"image '{reference}' is not pinned: give a version tag (not 'latest') or a digest")
    return reference


MAX_REPLICAS = 1000


class Replicas(Spec):
    min: int = pydantic.Field(default=1, ge=0, le=MAX_REPLICAS, description=(
        "0: the model rests at zero when idle and the gateway holds its requests while it starts (scaleToZero)"))
    max: int = pydantic.Field(default=1, ge=1, le=MAX_REPLICAS)

    @pydantic.field_validator("max")
    @classmethod
    def _max_not_below_min(cls, value: int, info: pydantic.ValidationInfo) -> int:
        low = info.data.get("min")
        if low is not None and value < low:
            raise ValueError(f"must be >= replicas.min ({low})")
        return value


class ScaleToZeroSpec(Spec):
    """How a model with replicas.min 0 rests and wakes: KEDA scales it to zero after `idleSeconds`
    without a request; a request for it at zero is held at the gateway (KEDA's HTTP add-on) until a
    replica is ready, for the model's cold start from its plan, at most `maxWaitSeconds`."""

    idle_seconds: Optional[int] = pydantic.Field(default=None, ge=300, le=86400, description=(
        "time without requests before the model scales to zero (KEDA cooldownPeriod); default: 30 minutes, "
        "or the model's cold start if longer"))
    max_wait_seconds: int = pydantic.Field(default=1800, ge=60, le=MAX_HOLD_SECONDS, description=(
        "the longest a request is held while the model starts; default hold: its planned cold start, at most this"))
    queue_length: int = pydantic.Field(default=100, ge=1, le=10000, description=(
        "requests the model takes at once through the gateway, held ones included; past it: 429 with Retry-After"))


class EngineSpec(Spec):
    """vLLM engine settings; each maps to one `vllm serve` flag of the pinned version."""

    dtype: vllm.Dtype = "auto"
    quantization: Optional[vllm.Quantization] = None
    max_model_len: Optional[int] = pydantic.Field(default=None, ge=16)
    max_num_seqs: Optional[int] = pydantic.Field(default=None, ge=1)
    max_num_batched_tokens: Optional[int] = pydantic.Field(default=None, ge=1)
    gpu_memory_utilization: float = pydantic.Field(default=0.9, gt=0.0, le=0.98)
    tensor_parallel_size: int = pydantic.Field(default=1, ge=1)
    enable_prefix_caching: Optional[bool] = None
    kv_cache_dtype: vllm.KvCacheDtype = "auto"
    kv_cache_memory: Optional[Quantity] = pydantic.Field(
        default=None, description="explicit KV cache size (--kv-cache-memory-bytes); CPU pools default to a quarter of memory"
    )
    extra_args: list[str] = pydantic.Field(default_factory=list)


    @pydantic.field_validator("tensor_parallel_size")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError(f"must be a power of two (1, 2, 4, 8), got {value}")
        return value

    @pydantic.field_validator("extra_args")
    @classmethod
    def _no_managed_flags(cls, args: list[str]) -> list[str]:
        problems = [problem for problem in map(vllm.flag_problem, args) if problem]
        if problems:
            raise ValueError("; ".join(problems))
        return args


class CacheSpec(Spec):
    storage_class: DnsSubdomain
    size: Quantity = pydantic.Field(description="PVC size; room for the weights of every revision kept")
    exclude: list[str] = pydantic.Field(
        default_factory=lambda: ["original/*", "*.pth"],
        description="files of the repo not downloaded (fnmatch); by default the duplicate original checkpoints",
    )
    populate_timeout_seconds: int = pydantic.Field(default=7200, ge=300, le=86400, description="deadline of the populate Job")



class Resources(Spec):
    """CPU and memory per vLLM pod; requests equal limits (Guaranteed QoS, never evicted first)."""

    cpu: Quantity
    memory: Quantity
    shm_size: Quantity = pydantic.Field(default="2Gi", description="/dev/shm size; counts against memory")


    @pydantic.model_validator(mode="after")
    def _shm_within_memory(self) -> "Resources":
        if parse_quantity(self.shm_size) >= parse_quantity(self.memory):
            raise ValueError(f"shmSize ({self.shm_size}) must be smaller than memory ({self.memory}): /dev/shm is memory")
        return self


class ModelSpec(Spec):
    name: DnsLabel = pydantic.Field(description="names the Kubernetes objects of this model")
    repo: str = pydantic.Field(description="Hugging Face repo id, e.g. Qwen/Qwen2.5-7B-Instruct")
    revision: str = pydantic.Field(description="the commit SHA of `repo` to serve")
    served_model_name: Optional[str] = pydantic.Field(default=None, description="the `model` clients send; defaults to repo")
    image: Optional[str] = pydantic.Field(default=None, description="override of the pinned vLLM image; must carry a version tag")
    pool: str
    replicas: Replicas = Replicas()
    engine: EngineSpec = EngineSpec()
    cache: CacheSpec
    resources: Resources
    startup_timeout_seconds: Optional[int] = pydantic.Field(
        default=None, ge=60, le=MAX_STARTUP_SECONDS, description="time allowed to load the model; default: derived from the weight size"
    )
    architecture: Optional[Architecture] = pydantic.Field(
        default=None, description="memory-deciding numbers of a model not in the architecture catalog"
    )
    autoscaling: Optional[AutoscalingSpec] = pydantic.Field(
        default=None, description="queue-depth autoscaling between replicas.min and .max; default settings when monitoring is on"
    )
    drain_seconds: int = pydantic.Field(default=180, le=3600, description="terminationGracePeriodSeconds: time to finish streams")
    scale_to_zero: Optional[ScaleToZeroSpec] = pydantic.Field(default=None, description=(
        "with replicas.min 0: idle window, longest hold and queue length; default settings when unset"))

    @pydantic.field_validator("repo")
    @classmethod
    def _repo_id(cls, value: str) -> str:
        if not _REPO_ID.match(value):
            raise ValueError(f"'{value}' is not a Hugging Face repo id of the form 'org/name'")
        return value

    @pydantic.field_validator("served_model_name")
    @classmethod
    def _served_name(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not _SERVED_NAME.match(value):
            raise ValueError(
                f"'{value}' cannot be a served model name: use at most 200 letters, digits and . _ : / @ + -, "
                "starting with a letter or digit (it is matched in request headers and Prometheus queries)"
            )
        return value

    @pydantic.field_validator("revision")
    @classmethod
    def _pinned(cls, value: str) -> str:
        if not _COMMIT.match(value):
            raise ValueError(
                f"'{value}' is not a commit SHA: pin the model to the full 40-character commit "
                "(Hugging Face: the repo's 'Files and versions' > 'History'), so every replica "
                "and every re-deploy serves the same weights"
            )
        return value

    @pydantic.field_validator("image")
    @classmethod
    def _tagged(cls, value: Optional[str]) -> Optional[str]:
        if value is not None:
            check_pinned_image(value)
        return value

    @pydantic.field_validator("drain_seconds")
    @classmethod
    def _long_enough(cls, value: int) -> int:
        if value < MIN_DRAIN_SECONDS:
            raise ValueError(f"must be >= {MIN_DRAIN_SECONDS} so streaming responses can finish on scale-down")
        return value

    @property
    def rests_at_zero(self) -> bool:
        return self.replicas.min == 0

    @property
    def resting(self) -> Optional[ScaleToZeroSpec]:
        """The scale-to-zero settings of a model with replicas.min 0 (defaults where unset), else None."""
        if not self.rests_at_zero:
            return None
        return self.scale_to_zero or ScaleToZeroSpec()

    @property
    def served_name(self) -> str:
        return self.served_model_name or self.repo

    @property
    def gpus_per_replica(self) -> int:
        return self.engine.tensor_parallel_size
