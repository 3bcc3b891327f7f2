"""The real entry point Pulumi runs (infra/__main__.py): a bad config ends the program with a
RunError, which Pulumi reports as the message alone, before any resource is registered."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = r"""
import json, runpy, sys
import pulumi
from pulumi.runtime import mocks
from tools.recorder import PreviewMocks, RecordingMonitor

pulumi.runtime.set_all_config(json.loads(sys.argv[1]), [])
monitor = RecordingMonitor(PreviewMocks())
mocks.set_mocks(monitor.mocks, project="llmstack", stack="dev", preview=True, monitor=monitor)
try:
    runpy.run_path("infra/__main__.py", run_name="__main__")
    print("NO ERROR")
except pulumi.RunError as err:
    print("RUNERROR", json.dumps(str(err)), len(monitor.registrations))
"""


def run_entrypoint(config: dict) -> str:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_bad_config_is_a_run_error_and_registers_nothing():
    out = run_entrypoint({"llmstack:team": "ml", "llmstack:models": "[]", "llmstack:clustr": "{}"})
    kind, rest = out.split(" ", 1)
    message, registered = rest.rsplit(" ", 1)
    assert kind == "RUNERROR"
    assert int(registered) == 0
    assert json.loads(message).splitlines() == [
        "invalid configuration (4 problems):",
        "  cluster: required, but not set",
        "  models: must have at least 1 entry",
        "  gateway: required, but not set",
        "  clustr: unknown key; did you mean 'cluster'? (allowed: alertingSecrets, cloudflareApiToken, cluster, environment, gateway, "
        "grafanaAdminPassword, hfToken, models, monitoring, serving, team)",
    ]


def test_good_config_registers_the_stack():
    from tools.plan import stack_config

    config, _ = stack_config("dev")
    assert run_entrypoint(config) == "NO ERROR"
