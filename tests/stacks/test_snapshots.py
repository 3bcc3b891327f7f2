"""The plan of each stack is snapshotted in tests/snapshots/<stack>/, so every change to what a
stack deploys (a version bump, a new flag) shows up as a reviewable diff.

After an intended change: `make snapshots`, then review `git diff tests/snapshots`.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"


def files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plan_matches_snapshot(plan):
    expected_dir = SNAPSHOTS / plan.stack
    if os.environ.get("UPDATE_SNAPSHOTS"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(plan.path, expected_dir)
    actual, expected = files(plan.path), files(expected_dir)
    problems = []
    for name in sorted(actual.keys() | expected.keys()):
        if name not in expected:
            problems.append(f"new file {name}")
        elif name not in actual:
            problems.append(f"file no longer planned: {name}")
        elif actual[name] != expected[name]:
            diff = difflib.unified_diff(expected[name].splitlines(), actual[name].splitlines(),
                                        f"snapshot/{name}", f"plan/{name}", lineterm="", n=2)
            problems.append("\n".join(list(diff)[:60]))
    assert not problems, (
        f"the plan of stack {plan.stack} differs from tests/snapshots/{plan.stack}; if intended, run "
        "`make snapshots` and review the diff:\n" + "\n".join(problems)
    )
