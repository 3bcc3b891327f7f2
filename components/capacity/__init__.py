"""GPU capacity planning: will a model fit a GPU under vLLM, and with how much KV cache?

    from components.capacity import estimate
    est = estimate("Qwen/Qwen3-8B", "L40S", max_model_len=32768)
    est.fits, est.kv_cache_tokens, est.max_concurrency, est.problems

Pure Python: no Pulumi runtime, no network.
"""

from ..core.architecture import Architecture
from ..core.catalog.architectures import ARCHITECTURES
from .estimator import OVERHEAD, Estimate, Overhead, estimate

__all__ = ["estimate", "Estimate", "Architecture", "ARCHITECTURES", "Overhead", "OVERHEAD"]
