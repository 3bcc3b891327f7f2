"""Capacity table: a model across GPUs and tensor-parallel sizes, before writing any config.

    python -m tools.capacity Qwen/Qwen3-32B                       (what `make capacity MODEL=...` runs)
    python -m tools.capacity Qwen/Qwen3-32B --gpus L40S H100-80GB --tp 1 2 4 --max-model-len 32768
    python -m tools.capacity my-org/my-model --config config.json [--safetensors-index model.safetensors.index.json]
    curl -sL https://huggingface.co/<repo>/resolve/main/config.json | python -m tools.capacity --config -

A model outside the architecture catalog is read from its config.json (a local file, or `-` for
what is pasted on standard input); its weight size from the safetensors index's total_size, from
--weights-gib, or else counted from the config's shapes.

Prints, per GPU and tensor-parallel size: weights per GPU, KV cache per GPU, the tokens vLLM could
cache, how many max-length requests fit at once, and whether vLLM would start. Each row is the plan
a stack would get for the same choice: the settings become a model entry (with the stack's own
defaults, e.g. gpuMemoryUtilization 0.9) and go through the same planner and the same validation
as `make plan` and `pulumi preview`, so the tool and a stack never disagree.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any, Optional

import pydantic

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.capacity.planning import ModelPlan, plan_model  # noqa: E402
from components.core.architecture import Architecture  # noqa: E402
from components.core.catalog.architectures import ARCHITECTURES  # noqa: E402
from components.core.catalog.gpus import GPUS  # noqa: E402
from components.core.cluster import NodePool  # noqa: E402
from components.core.errors import ConfigError  # noqa: E402
from components.core.model import ModelSpec  # noqa: E402
from components.core.validation import parse  # noqa: E402

DEFAULT_GPUS = ["L4", "A10G", "L40S", "A100-40GB", "A100-80GB", "H100-80GB", "H200"]
PLACEHOLDER_REVISION = "0" * 40


def engine_settings(args: argparse.Namespace, tp: int) -> dict[str, Any]:
    """The `engine:` entry a stack would write for this choice; what is not given keeps the stack's default."""
    engine: dict[str, Any] = {"tensorParallelSize": tp}
    for key, value in (("maxModelLen", args.max_model_len), ("gpuMemoryUtilization", args.gpu_memory_utilization),
                       ("kvCacheDtype", args.kv_cache_dtype), ("quantization", args.quantization)):
        if value is not None:
            engine[key] = value
    return engine


def plan_for(repo: str, gpu: str, engine: dict[str, Any], architecture: Optional[Architecture] = None) -> ModelPlan:
    """The plan a stack gets for this model on one node of `gpu` x tensorParallelSize, validated as a stack's model
    (with `architecture` as a stack's models[i].architecture, for a model outside the catalog)."""
    entry: dict[str, Any] = {
        "name": "capacity", "repo": repo, "revision": PLACEHOLDER_REVISION, "pool": "pool", "engine": engine,
        "cache": {"storageClass": "cache", "size": "4Ti"}, "resources": {"cpu": "1", "memory": "4Gi"},
    }
    if architecture is not None:
        entry["architecture"] = architecture.model_dump(by_alias=True, exclude_none=True)
    model = parse(ModelSpec, entry, prefix="")
    pool = NodePool(name="pool", gpu=gpu, gpus_per_node=model.engine.tensor_parallel_size)
    return plan_model(model, pool, "model")


HOURS_PER_MONTH = 730


def replica_cost(gpu: str, tp: int) -> str:
    """What one replica costs a month on EKS: its share of the EC2 type of the catalog, with `tp` or more
    of the GPU, that makes it cheapest (a node of 8 GPUs holds 8 / tp replicas), priced from the EC2
    price catalog (us-east-1 on-demand, dated). `$4,200 1/2 g6e.12xlarge`: half of such a node."""
    from components.aws import prices
    from components.aws.instance_types import machine_shapes

    priced = []
    for machine in machine_shapes():
        price = prices.on_demand(prices.PRICED_REGION, machine.name)[0]
        if machine.gpu == gpu and machine.gpus >= tp and price is not None:
            per_node = machine.gpus // tp
            priced.append((price * HOURS_PER_MONTH / per_node, per_node, machine.name))
    if not priced:
        return "unknown"
    monthly, per_node, name = min(priced)
    share = "" if per_node == 1 else f"1/{per_node} "
    return f"${monthly:,.0f} {share}{name}"


def table(repo: str, gpus: list[str], tps: list[int], args: argparse.Namespace,
          architecture: Optional[Architecture] = None) -> str:
    header = (f"{'GPU':<11} {'TP':>2} {'weights/GPU':>11} {'KV/GPU':>8} {'KV tokens':>11} {'concurrency':>11} "
              f"{'replica/month':>26}  verdict")
    lines = [header, "-" * len(header)]
    for gpu in gpus:
        for tp in tps:
            plan = plan_for(repo, gpu, engine_settings(args, tp), architecture)
            est = plan.estimate
            assert est is not None
            verdict = "fits" if not plan.problems else "does not fit: " + "; ".join(p.message for p in plan.problems)
            lines.append(
                f"{gpu:<11} {tp:>2} {est.weights_gib:>8.1f} GiB {est.kv_cache_gib:>4.1f} GiB {est.kv_cache_tokens:>11,} "
                f"{est.max_concurrency:>10.1f}x {replica_cost(gpu, tp):>26}  {verdict}"
            )
    return "\n".join(lines)


def known(name: str, names: list[str], what: str) -> Optional[str]:
    """The name as the catalog spells it (case-insensitively), or None after saying what is close."""
    by_lower = {n.lower(): n for n in names}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = [n for n in by_lower if n.startswith(name.lower())] or difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = f"; did you mean '{by_lower[close[0]]}'?" if close else f"; known: {', '.join(sorted(names))}"
    print(f"'{name}' is not a known {what}{hint}", file=sys.stderr)
    return None


def architecture_from(args: argparse.Namespace) -> Architecture:
    """The architecture of --config's config.json, sized by --safetensors-index or --weights-gib
    (else counted from its shapes); raises ValueError with what is wrong."""
    text = sys.stdin.read() if args.config == "-" else Path(args.config).read_text()
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"--config: not JSON ({err})") from None
    weights_gib = args.weights_gib
    if args.safetensors_index:
        index = json.loads(Path(args.safetensors_index).read_text())
        total = (index.get("metadata") or {}).get("total_size")
        if not isinstance(total, (int, float)) or total <= 0:
            raise ValueError(f"--safetensors-index: {args.safetensors_index} has no metadata.total_size")
        weights_gib = round(total / 2**30, 2)
    source = "config.json" if args.config == "-" else args.config
    try:
        return Architecture.from_config_json(config, weights_gib=weights_gib, source=source)
    except KeyError as err:
        raise ValueError(f"--config: {source} has no {err.args[0]}: is it a model's config.json?") from None
    except pydantic.ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
        raise ValueError(f"--config: {source}: {problems}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="a Hugging Face repo id: from the architecture catalog, or any with --config")
    parser.add_argument("--config", metavar="CONFIG_JSON", help="the model's config.json (- reads standard input)")
    parser.add_argument("--safetensors-index", metavar="INDEX_JSON", help="model.safetensors.index.json: its total_size is the weight size")
    parser.add_argument("--weights-gib", type=float, help="the weight size in GiB (default: counted from --config's shapes)")
    parser.add_argument("--gpus", nargs="+", default=DEFAULT_GPUS, metavar="GPU")
    parser.add_argument("--tp", nargs="+", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--max-model-len", type=int)
    parser.add_argument("--gpu-memory-utilization", type=float, help="default: a stack's engine.gpuMemoryUtilization")
    parser.add_argument("--kv-cache-dtype")
    parser.add_argument("--quantization")
    args = parser.parse_args(argv)
    architecture = None
    if args.config:
        try:
            architecture = architecture_from(args)
        except (OSError, ValueError) as err:
            print(err, file=sys.stderr)
            return 1
        repo: Optional[str] = args.model or "local/config-json"
    elif args.model is None:
        parser.error("name a model of the architecture catalog, or give its config.json with --config")
    else:
        repo = known(args.model, list(ARCHITECTURES), "model of the architecture catalog")
        if repo is None:
            print("a model outside the catalog: give its config.json with --config", file=sys.stderr)
    gpus = [known(gpu, list(GPUS), "GPU type") for gpu in args.gpus]
    if repo is None or None in gpus:
        return 1
    try:
        first = plan_for(repo, gpus[0], engine_settings(args, args.tp[0]), architecture)
        for tp in args.tp[1:]:
            plan_for(repo, gpus[0], engine_settings(args, tp), architecture)
    except ConfigError as err:
        print(err.render().replace("invalid configuration", "invalid settings"), file=sys.stderr)
        return 1
    engine = first.model.engine
    assert first.estimate is not None
    print(f"{repo}: maxModelLen {first.estimate.max_model_len:,}, gpuMemoryUtilization {engine.gpu_memory_utilization:g}, "
          f"kvCacheDtype {engine.kv_cache_dtype} (vLLM 0.33 accounting; a stack's defaults; 10 % margin on the fit verdict)")
    from components.aws import prices

    print(f"replica/month: one replica's share of the EKS node type that makes it cheapest (1/4 = four replicas per "
          f"node), {HOURS_PER_MONTH} h on demand ({prices.PRICED_REGION}, {prices.SOURCE}); spot and other regions: "
          "not in the catalog")
    if architecture is not None:
        print(f"from {architecture.source}: {architecture.params_b:.2f} B parameters, weights {architecture.total_weights_gib:.1f} GiB "
              f"({'given' if args.weights_gib or args.safetensors_index else 'counted from its shapes'})")
    print(table(repo, [g for g in gpus if g], args.tp, args, architecture))
    return 0


if __name__ == "__main__":
    sys.exit(main())
