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
    "--max-model-len": "engine.maxModelLen",
    "--max-num-seqs": "engine.maxNumSeqs",
    "--max-num-batched-tokens": "engine.maxNumBatchedTokens",
    "--gpu-memory-utilization": "engine.gpuMemoryUtilization",
    "--tensor-parallel-size": "engine.tensorParallelSize",
    "--enable-prefix-caching": "engine.enablePrefixCaching",
    "--no-enable-prefix-caching": "engine.enablePrefixCaching",
    "--kv-cache-dtype": "engine.kvCacheDtype",
    "--kv-cache-memory-bytes": "engine.kvCacheMemory",
    "--download-dir": "(the model is served from the read-only cache)",
    "--revision": "revision",
    "--shutdown-timeout": "drainSeconds",
    "--disable-log-stats": "(metrics are required for monitoring and autoscaling)",
}

_PARALLEL = "the planner sizes each pod as tensorParallelSize GPUs on one node; use engine.tensorParallelSize, or more replicas"
_PLAIN_HTTP = "probes, Prometheus and the gateway speak plain HTTP to the pod; TLS ends at the gateway"
# Flags that would break serving as this stack runs it (vllm/entrypoints/common/cli_args.py FrontendArgs,
# vllm/engine/arg_utils.py parallel group), with the reason.
FORBIDDEN_FLAGS: dict[str, str] = {
    "--api-key": "the gateway authenticates clients; a key in vLLM would refuse the gateway's and Prometheus' requests",
    "--pipeline-parallel-size": _PARALLEL,
    "--data-parallel-size": _PARALLEL,
    "--data-parallel-size-local": _PARALLEL,
    "--decode-context-parallel-size": _PARALLEL,
    "--prefill-context-parallel-size": _PARALLEL,
    "--nnodes": _PARALLEL,
    "--node-rank": _PARALLEL,
    "--headless": "a headless engine serves no API",
    "--uds": "the API must listen on port 8000, where probes, Prometheus and the gateway reach it",
    "--ssl-keyfile": _PLAIN_HTTP,
    "--ssl-certfile": _PLAIN_HTTP,
    "--ssl-ca-certs": _PLAIN_HTTP,
    "--enable-ssl-refresh": _PLAIN_HTTP,
    "--config": "a config file could set any managed flag unseen; put each flag in extraArgs",
}

# Single-dash aliases (vllm/engine/arg_utils.py) of flags that are managed or forbidden.
SHORT_FLAGS: dict[str, str] = {
    "-q": "--quantization", "-tp": "--tensor-parallel-size", "-pp": "--pipeline-parallel-size",
    "-dp": "--data-parallel-size", "-dpl": "--data-parallel-size-local", "-dcp": "--decode-context-parallel-size",
    "-pcp": "--prefill-context-parallel-size", "-n": "--nnodes", "-r": "--node-rank",
}


def canonical_flag(arg: str) -> str:
    """The flag as vLLM's parser reads it: the part before '=', underscores in the name read as dashes
    (FlexibleArgumentParser), single-dash aliases resolved."""
    flag = arg.split("=", 1)[0]
    if flag.startswith("--"):
        return "--" + flag[2:].replace("_", "-")
    return SHORT_FLAGS.get(flag, flag)


def flag_problem(arg: str) -> str | None:
    """Why `arg` (one item of engine.extraArgs) may not be passed to `vllm serve`, or None.

    argparse also accepts an unambiguous abbreviation of a long flag (allow_abbrev is on in vLLM's
    parser), so a flag that begins a managed or forbidden one is refused as that flag."""
    if not arg.startswith("-") or arg[1:2].isdigit() or arg[1:2] == ".":
        return None  # a value, such as the -1 of `--seed -1`
    flag = canonical_flag(arg)
    if not flag.startswith("--"):
        return f"'{arg}': use the long --flag form so it can be checked"
    for known in (*MANAGED_FLAGS, *FORBIDDEN_FLAGS):
        if known == flag or (len(flag) > 4 and known.startswith(flag)):
            written = "" if known == arg.split("=", 1)[0] else f" (read by vLLM as {known})"
            if known in MANAGED_FLAGS:
                return f"'{arg}'{written} is set by this stack; use {MANAGED_FLAGS[known]} instead"
            return f"'{arg}'{written} cannot be used: {FORBIDDEN_FLAGS[known]}"
    return None


SHUTDOWN_FLAG = "--shutdown-timeout"
QUIET_ENDPOINTS = "/health,/metrics"

# On CPU pools the KV cache takes this share of the pod's memory unless engine.kvCacheMemory is set.
CPU_KV_CACHE_SHARE = 0.25
