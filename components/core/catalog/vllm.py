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

import difflib
from pathlib import Path
from typing import Literal

import yaml

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

# Every option string of `vllm serve` in the pinned version, with its argparse destination and its
# single-dash aliases: extracted from vLLM 0.33.0's own parser (vllm_serve_flags.yaml says how).
_SERVE = yaml.safe_load(Path(__file__).with_name("vllm_serve_flags.yaml").read_text())
SERVE_FLAGS: dict[str, dict] = _SERVE["flags"]
SHORT_FLAGS: dict[str, str] = _SERVE["aliases"]
_PSEUDO_ALIASES: dict[str, str] = _SERVE["pseudo_aliases"]
SERVE_FLAGS_VERSION: str = _SERVE["version"]

# Options by destination: a managed or forbidden option is refused under any of its spellings
# (--disable-prefix-caching sets what --enable-prefix-caching does; --device-memory-utilization is
# --gpu-memory-utilization).
_DEST = {flag: info["dest"] for flag, info in SERVE_FLAGS.items()}


def canonical_flag(arg: str) -> str:
    """The flag as vLLM's parser reads it: the part before '=' (and before a '.' key into a JSON
    option), underscores in the name read as dashes (FlexibleArgumentParser), aliases resolved."""
    flag = arg.split("=", 1)[0]
    if flag.startswith("--"):
        return "--" + flag[2:].split(".", 1)[0].replace("_", "-")
    for pseudo, long in _PSEUDO_ALIASES.items():
        if flag.startswith(pseudo):
            return long
    return SHORT_FLAGS.get(flag, flag)


def resolve_flag(arg: str) -> tuple[str | None, list[str]]:
    """The option `vllm serve` takes `arg` for, and the candidates when it takes none: argparse also
    accepts an unambiguous abbreviation of a long option (allow_abbrev is on in vLLM's parser), and
    refuses an ambiguous one."""
    flag = canonical_flag(arg)
    if flag in SERVE_FLAGS:
        return flag, []
    if not flag.startswith("--"):
        return None, []
    matches = sorted({known for known in SERVE_FLAGS if known.startswith(flag)})
    if len(matches) == 1:
        return matches[0], []
    return None, matches


def _is_value(arg: str) -> bool:
    return not arg.startswith("-") or arg[1:2].isdigit() or arg[1:2] == "." or arg == "-"


def flag_problem(arg: str) -> str | None:
    """Why `arg` (one item of engine.extraArgs) may not be passed to `vllm serve`, or None: a flag
    this stack sets (under any spelling, abbreviation or alias of the option) or one that would
    break serving. Flags the pinned vLLM does not know are `unknown_flag`'s."""
    if _is_value(arg):
        return None  # a value, such as the -1 of `--seed -1`
    flag, _ = resolve_flag(arg)
    flag = flag or canonical_flag(arg)
    dest = _DEST.get(flag)
    for known in (*MANAGED_FLAGS, *FORBIDDEN_FLAGS):
        if known == flag or (dest is not None and _DEST.get(known) == dest):
            written = "" if flag == arg.split("=", 1)[0] else f" (read by vLLM as {flag})"
            if known in MANAGED_FLAGS:
                return f"'{arg}'{written} is set by this stack; use {MANAGED_FLAGS[known]} instead"
            return f"'{arg}'{written} cannot be used: {FORBIDDEN_FLAGS[known]}"
    return None


def unknown_flag(arg: str) -> str | None:
    """Why the pinned vLLM's `vllm serve` would exit on `arg` (an unknown or ambiguous option), or None."""
    if _is_value(arg):
        return None
    flag, candidates = resolve_flag(arg)
    if flag is not None:
        return None
    if len(candidates) > 1:
        return (f"'{arg}' is ambiguous to vLLM {SERVE_FLAGS_VERSION} (it begins {', '.join(candidates[:4])}"
                f"{', ...' if len(candidates) > 4 else ''}): write the whole flag")
    close = difflib.get_close_matches(canonical_flag(arg), list(SERVE_FLAGS), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"'{arg}' is not an option of `vllm serve` in vLLM {SERVE_FLAGS_VERSION}{hint}"


SHUTDOWN_FLAG = "--shutdown-timeout"
QUIET_ENDPOINTS = "/health,/metrics"

# On CPU pools the KV cache takes this share of the pod's memory unless engine.kvCacheMemory is set.
CPU_KV_CACHE_SHARE = 0.25
