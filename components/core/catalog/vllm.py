"""Facts about the pinned vLLM version's command line, so a typo in config fails at preview and
not in a crash-looping pod.

Source: vLLM 0.33.0 (PyPI wheel and sdist of tag v0.33.0):
- dtype choices: vllm/config/model.py (ModelDType): auto, half, float16, bfloat16, float, float32.
- quantization methods: vllm/model_executor/layers/quantization/__init__.py (QuantizationMethods);
  the commonly served, non-deprecated subset is listed.
- KV cache dtypes: vllm/config/cache.py (CacheDType); the portable subset is listed.
- --shutdown-timeout: vllm/engine/arg_utils.py; >0 drains running requests and rejects new ones
  on SIGTERM (vllm/v1/engine/core.py), 0 aborts them.
- --disable-access-log-for-endpoints: vllm/entrypoints/common/cli_args.py.
- CPU backend: without an explicit KV size the worker reserves a fraction of the host NUMA node's
  memory, not the cgroup limit (vllm/v1/worker/cpu_worker.py), and `auto` thread binding uses every
  host CPU (utils/cpu_resource_utils.py): so KV size and thread count are always set explicitly.
"""

from __future__ import annotations

from typing import Literal

Dtype = Literal["auto", "half", "float16", "bfloat16", "float", "float32"]

Quantization = Literal[
    "awq", "awq_marlin", "gptq", "gptq_marlin", "fp8", "compressed-tensors", "modelopt",
    "modelopt_fp4", "bitsandbytes", "gguf", "mxfp4", "experts_int8", "moe_wna16", "torchao",
]

KvCacheDtype = Literal["auto", "float16", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2"]

# Flags this stack sets from typed fields; extraArgs may not set them a second time.
MANAGED_FLAGS: dict[str, str] = {
    "--model": "repo/revision",
    "--served-model-name": "servedModelName",
    "--host": "(fixed: 0.0.0.0)",
    "--port": "(fixed: 8000)",
    "--dtype": "engine.dtype",
    "--quantization": "engine.quantization",
    "-q": "engine.quantization",
    "--max-model-len": "engine.maxModelLen",
    "--max-num-seqs": "engine.maxNumSeqs",
    "--max-num-batched-tokens": "engine.maxNumBatchedTokens",
    "--gpu-memory-utilization": "engine.gpuMemoryUtilization",
    "--tensor-parallel-size": "engine.tensorParallelSize",
    "-tp": "engine.tensorParallelSize",
    "--enable-prefix-caching": "engine.enablePrefixCaching",
    "--no-enable-prefix-caching": "engine.enablePrefixCaching",
    "--kv-cache-dtype": "engine.kvCacheDtype",
    "--kv-cache-memory-bytes": "engine.kvCacheMemory",
    "--download-dir": "(the model is served from the read-only cache)",
    "--revision": "revision",
    "--shutdown-timeout": "drainSeconds",
    "--disable-log-stats": "(metrics are required for monitoring and autoscaling)",
}

SHUTDOWN_FLAG = "--shutdown-timeout"
QUIET_ENDPOINTS = "/health,/metrics"

# On CPU pools the KV cache takes this share of the pod's memory unless engine.kvCacheMemory is set.
CPU_KV_CACHE_SHARE = 0.25
