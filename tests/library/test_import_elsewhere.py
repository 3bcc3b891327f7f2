"""`components` installs with pip and a separate Pulumi program, outside this repo, uses it.

The package is built as a wheel and installed into an empty folder, and the example program runs
from another folder with only that folder on its path, so nothing of the repo leaks in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

RUNNER = r"""
import json, runpy, sys
import pulumi
from pulumi.runtime import mocks

registered = []

class Mocks(mocks.Mocks):
    def new_resource(self, args):
        registered.append({"type": args.typ, "name": args.name, "inputs": args.inputs, "provider": args.provider})
        return (args.name + "-id" if args.custom else None), dict(args.inputs)
    def call(self, args):
        return {}

mocks.set_mocks(Mocks(), project="byo-vllm", stack="dev", preview=True)

@mocks.test
def run():
    runpy.run_path("__main__.py", run_name="__main__")

run()
import components
print(json.dumps({"registered": registered, "components_file": components.__file__}, default=str))
"""


def package_sources(into: Path) -> Path:
    """A copy of what the wheel is built from: setuptools writes build/ and *.egg-info beside its
    sources, and the checkout's build/ holds the plans, not test artefacts."""
    into.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, into / name)
    shutil.copytree(ROOT / "components", into / "components", ignore=shutil.ignore_patterns("__pycache__"))
    return into


def test_the_installed_package_serves_a_model_from_another_program(tmp_path):
    wheels, site, program = tmp_path / "wheels", tmp_path / "site", tmp_path / "program"
    checkout_before = sorted(p.name for p in ROOT.iterdir()) + sorted(p.name for p in (ROOT / "build").glob("*"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(package_sources(tmp_path / "src"))], check=True, timeout=120, cwd=tmp_path)
    [wheel] = wheels.glob("llmstack_components-*.whl")
    checkout_after = sorted(p.name for p in ROOT.iterdir()) + sorted(p.name for p in (ROOT / "build").glob("*"))
    assert checkout_after == checkout_before, "building the wheel must leave no build/ or *.egg-info in the checkout"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, timeout=120)
    assert (site / "components" / "py.typed").exists()
    assert (site / "components" / "kubernetes" / "scripts" / "populate_cache.py").exists()
    assert not (site / "infra").exists() and not (site / "tools").exists()

    shutil.copytree(Path(__file__).parent / "example_program", program)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(site), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", RUNNER], cwd=program, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["components_file"].startswith(str(site))
    by_type = {r["type"]: r for r in result["registered"]}
    deployment = by_type["kubernetes:apps/v1:Deployment"]
    pod = deployment["inputs"]["spec"]["template"]["spec"]
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "their-weights"
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    assert deployment["provider"].split("::")[-2] == "their-cluster"
    assert {"kubernetes:core/v1:Service", "kubernetes:policy/v1:PodDisruptionBudget",
            "kubernetes:core/v1:ServiceAccount", "llmstack:kubernetes:VllmModel"} <= by_type.keys()
