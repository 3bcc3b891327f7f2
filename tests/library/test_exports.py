"""Every component of components.kubernetes is importable from the package, and a missing extra is
named, not a bare ModuleNotFoundError."""

from __future__ import annotations

import subprocess
import sys

import pulumi

import components.kubernetes as kubernetes
from tests.conftest import ROOT


def test_every_component_is_exported():
    components = {name for name in kubernetes.__all__ if isinstance(getattr(kubernetes, name), type)
                  and issubclass(getattr(kubernetes, name), pulumi.ComponentResource)}
    assert components == {"GpuOperator", "ModelCache", "ServingNamespace", "VllmModel", "Monitoring", "Gateway"}


def test_a_missing_extra_is_named():
    """Without pulumi_kubernetes_cert_manager (the [gateway] extra), importing Gateway says what to install."""
    code = ("import sys; sys.modules['pulumi_kubernetes_cert_manager'] = None\n"
            "from components.kubernetes import Gateway\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "pip install 'llmstack-components[gateway]'" in proc.stderr


def test_a_bad_component_argument_is_a_config_error_naming_it():
    import pytest

    from components.core.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        kubernetes.ModelCacheArgs(namespace="ml", model={"name": "x"}, pool={"name": "p"}, storage_class={},
                                  scripts_configmap="s", cost={"team": "a", "environment": "b"}, colour="red")
    paths = [problem.path for problem in raised.value.problems]
    assert "ModelCacheArgs.model.repo" in paths and "ModelCacheArgs.colour" in paths
