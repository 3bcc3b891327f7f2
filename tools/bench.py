"""Benchmark (not a test): how long planning takes for stacks of 1, 10 and 50 models.

    python -m tools.bench            (what `make bench` runs)

For each size it times, on the prod stack with its first model copied N times: loading and
validating the config including every model's capacity estimate (what `pulumi preview` pays before
registering anything), and the whole offline plan under Pulumi's mocks. Best of 3 runs each.
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.plan import ROOT, load_config, plan  # noqa: E402

SIZES = (1, 10, 50)
RUNS = 3


def stack_with(models: int, directory: Path) -> Path:
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    template = document["config"]["llmstack:models"][0]
    document["config"]["llmstack:models"] = [
        {**copy.deepcopy(template), "name": f"model-{i}", "servedModelName": f"model-{i}", "replicas": {"min": 1, "max": 1}}
        for i in range(models)
    ]
    # Every model on the l40s pool (1 GPU each of 4 per node), which must hold them all, and one tenant
    # granted every model (prod's tenants name prod's models).
    document["config"]["llmstack:cluster"]["gpuPools"][0]["maxNodes"] = -(-models // 4) + 1
    document["config"]["llmstack:gateway"]["tenants"] = [{"name": "bench", "models": ["*"], "requestsPerMinute": 60}]
    path = directory / f"Pulumi.bench{models}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    print(f"{'models':>6} {'config + capacity':>18} {'per model':>10} {'offline plan':>13} {'resources':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for size in SIZES:
            path = stack_with(size, directory)
            validate = best_of(RUNS, lambda: load_config(f"bench{size}", path))
            recording = []
            full = best_of(RUNS, lambda: recording.append(plan(f"bench{size}", directory / f"out{size}", path)))
            count = len(recording[-1].registrations)
            print(f"{size:>6} {validate * 1000:>15.1f} ms {validate * 1000 / size:>7.2f} ms {full:>11.2f} s {count:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
