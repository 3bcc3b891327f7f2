"""`make help` lists every target a user runs, with one line each, and `make preview`/`make up`
check for the Pulumi CLI before any setup work."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

MAKEFILE = (ROOT / "Makefile").read_text()
INTERNAL = {"pulumi-cli"}


def test_every_target_has_a_help_line():
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", MAKEFILE, re.MULTILINE)) - INTERNAL
    described = set(re.findall(r"^([a-z][a-z0-9-]*):.*## ", MAKEFILE, re.MULTILINE))
    assert targets == described, f"targets without a `## ` help line: {sorted(targets - described)}"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_prints_one_line_per_target():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert {line.split()[1] for line in out.splitlines()} == set(re.findall(r"^([a-z][a-z0-9-]*):.*## ", MAKEFILE, re.MULTILINE))


@pytest.mark.parametrize("target", ["preview", "up"])
def test_pulumi_targets_check_the_cli_first(target):
    (line,) = [l for l in MAKEFILE.splitlines() if l.startswith(f"{target}:")]
    assert line.split(":", 1)[1].split()[0] == "pulumi-cli"
