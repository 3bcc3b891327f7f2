from __future__ import annotations

import json
import fcntl
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
# Configurations that are not stacks of this project but must keep planning: a GPU cluster that
# already exists (the `existing` type with GPU pools, as a user adopting their own cluster writes it).
EXTRA_STACKS = {
    p.name[len("Pulumi."):-len(".yaml")]: p for p in sorted((ROOT / "tests" / "data" / "stacks").glob("Pulumi.*.yaml"))
}
ALL_STACKS = [*STACKS, *EXTRA_STACKS]


@dataclass
class Plan:
    stack: str
    path: Path
    manifests: dict[str, dict]
    resources: list[dict]
    outputs: dict

    def objects(self, kind: str | None = None) -> list[dict]:
        return [o for o in self.manifests.values() if kind is None or o["kind"] == kind]

    def model_deployments(self) -> list[dict]:
        """The vLLM Deployments (the stack runs others too, such as the rate limiter's Redis)."""
        return [d for d in self.objects("Deployment")
                if d["metadata"]["labels"].get("app.kubernetes.io/name") == "vllm"]


def run_plan(stack: str, out: Path, stack_file: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tools.plan", "--stack", stack, "--out", str(out)]
    if stack_file is not None:
        cmd += ["--stack-file", str(stack_file)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def plan_in_process(stack: str, out: Path, stack_file: Path | None = None) -> Plan:
    """The plan `make plan` writes, made in this process: for a config the tests derive from a shipped
    stack (the command itself is exercised by the `plans` fixture and the failing-config tests)."""
    from tools.plan import plan

    plan(stack, out, stack_file)
    return load_plan(stack, out)


def load_plan(stack: str, out: Path) -> Plan:
    manifests = {p.name: yaml.safe_load(p.read_text()) for p in sorted((out / "manifests").glob("*.yaml"))}
    document = json.loads((out / "resources.json").read_text())
    return Plan(stack, out, manifests, document["resources"], document["outputs"])


@pytest.fixture(scope="session")
def plans(request, tmp_path_factory) -> dict[str, Plan]:
    """The offline plan of every stack, produced by the same command as `make plan`, one process per
    CPU at a time (each plan is a separate program run, so they do not share state). With test workers
    (pytest-xdist), the first to get here plans and the others wait for it and read its plans."""
    if not hasattr(request.config, "workerinput"):
        return _plan_all(tmp_path_factory.mktemp("plans"))
    shared = tmp_path_factory.getbasetemp().parent / "plans"
    with open(f"{shared}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (shared / "done").exists():
            return {stack: load_plan(stack, shared / stack) for stack in ALL_STACKS}
        result = _plan_all(shared)
        (shared / "done").touch()
        return result


def _plan_all(root: Path) -> dict[str, Plan]:
    outs = {stack: root / stack for stack in ALL_STACKS}
    for out in outs.values():
        out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        procs = dict(zip(ALL_STACKS, pool.map(lambda stack: run_plan(stack, outs[stack], EXTRA_STACKS.get(stack)), ALL_STACKS)))
    result = {}
    for stack, proc in procs.items():
        assert proc.returncode == 0, f"make plan STACK={stack} failed:\n{proc.stderr}"
        result[stack] = load_plan(stack, outs[stack])
    return result


@pytest.fixture(params=ALL_STACKS)
def plan(request, plans) -> Plan:
    return plans[request.param]


def stack_config(stack: str):
    """The validated StackConfig of a stack, as the program sees it."""
    from tools.plan import load_config

    return load_config(stack, EXTRA_STACKS.get(stack))


REPORTS = (("capacity_report", "capacity estimator vs reality"), ("checkov_report", "checkov scan of every stack"))


def pytest_sessionfinish(session):
    """A test worker (pytest-xdist) hands its reports to the controller, which prints them."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        for attribute, _ in REPORTS:
            if getattr(session.config, attribute, None):
                output[attribute] = list(getattr(session.config, attribute))


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_WorkerReports(config))


class _WorkerReports:
    def __init__(self, config):
        self.config = config

    def pytest_testnodedown(self, node, error):
        for attribute, _ in REPORTS:
            lines = getattr(node, "workeroutput", {}).get(attribute)
            if lines:
                setattr(self.config, attribute, [*getattr(self.config, attribute, []), *lines])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the capacity estimator's error figures against real vLLM logs and the checkov summary, when those tests ran."""
    for attribute, title in REPORTS:
        lines = getattr(config, attribute, None)
        if lines:
            terminalreporter.write_sep("-", title)
            for line in lines:
                terminalreporter.write_line(line)


def dependencies(plan, urn: str) -> set[str]:
    """Everything a resource waits for, directly or through what it waits for."""
    by_urn = {r["urn"]: r for r in plan.resources}
    seen: set[str] = set()
    todo = list(by_urn[urn].get("dependsOn", []))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += by_urn[current].get("dependsOn", []) if current in by_urn else []
    return seen
