"""checkov's Kubernetes checks over every stack's rendered manifests: no failed check. A check that
cannot pass for a real reason is skipped on that object only, by an annotation carrying the reason
(components/core/manifests/security.py); the summary at the end of `make test` lists each skip.

checkov runs from its own virtual environment (`make checkov`, .venv-checkov): its dependency pins
conflict with Pulumi's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".venv-checkov" / "bin" / "checkov"))


def scan(directory: Path) -> dict:
    assert CHECKOV.exists(), f"{CHECKOV} missing: run `make test` (it installs checkov into .venv-checkov)"
    proc = subprocess.run(
        [str(CHECKOV), "--directory", str(directory), "--framework", "kubernetes", "--skip-download",
         "--output", "json", "--compact"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    return report[0] if isinstance(report, list) else report


def test_no_failed_check_in_any_stack(plans, request, tmp_path):
    # One scan over every stack (checkov's start-up dominates a scan): a folder per stack.
    for stack, plan in plans.items():
        shutil.copytree(plan.path / "manifests", tmp_path / stack)
    report = scan(tmp_path)
    assert report["summary"]["parsing_errors"] == 0
    summary = request.config.__dict__.setdefault("checkov_report", [])
    summary.append(f"checkov {report['summary']['checkov_version']}, kubernetes framework, offline")
    results = report["results"]
    failures = []
    for stack in plans:
        def mine(checks):
            return [c for c in results.get(checks, []) if c["file_path"].lstrip("/").split("/")[0] == stack]
        passed, failed, skipped = mine("passed_checks"), mine("failed_checks"), mine("skipped_checks")
        assert passed, f"{stack}: nothing scanned"
        reasons = Counter((c["check_id"], c["check_result"].get("suppress_comment", "")) for c in skipped)
        summary.append(f"{stack}: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
        summary += [f"    skipped {check} x{n}: {reason}" for (check, reason), n in sorted(reasons.items())]
        assert all(reason for _, reason in reasons), "every skip carries its reason"
        failures += [f"{stack}: {c['check_id']} {c['check_name']} on {c['resource']}" for c in failed]
    assert not failures, "\n".join(failures)


def test_the_scan_fails_a_planted_violation(tmp_path):
    """Guard: the same scan reports a privileged, root container with no limits."""
    (tmp_path / "bad.yaml").write_text(json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "llm"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": True}}]},
    }))
    failed = {c["check_id"] for c in scan(tmp_path)["results"]["failed_checks"]}
    assert {"CKV_K8S_16", "CKV_K8S_11", "CKV_K8S_13"} <= failed   # privileged; no CPU and no memory limit


@pytest.mark.parametrize("stack", ["prod"])
def test_every_skip_names_a_reason(plans, stack):
    for obj in plans[stack].manifests.values():
        for key, value in (obj["metadata"].get("annotations") or {}).items():
            if key.startswith("checkov.io/skip"):
                check, _, reason = value.partition("=")
                assert check.startswith("CKV_K8S_") and len(reason) > 40, value
