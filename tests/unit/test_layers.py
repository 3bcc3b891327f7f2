"""The house's floors hold: inside components/, a module imports only from its own layer or below,
and no neutral layer or cloud package imports a cloud package other than its own.

    core (1)  <-  capacity (2)  <-  kubernetes, platform (3)  <-  aws, gcp, azure (4)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
LAYERS = {"core": 1, "capacity": 2, "kubernetes": 3, "platform": 3, "aws": 4, "gcp": 4, "azure": 4}
CLOUDS = {"aws", "gcp", "azure"}


def imported_packages(path: Path, root: Path = COMPONENTS) -> list[tuple[int, str]]:
    """(line, top-level package under components/) of every import of the module."""
    package = path.relative_to(root).parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[:len(package) - node.level + 1])
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.startswith("components."):
                target = node.module.split(".")[1:]
            else:
                continue
            if target:
                found.append((node.lineno, target[0]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[1]) for alias in node.names
                      if alias.name.startswith("components.") and alias.name.count(".")]
    return found


def violations(root: Path = COMPONENTS) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        own = path.relative_to(root).parts[0]
        if own not in LAYERS:
            continue
        for line, target in imported_packages(path, root):
            if target not in LAYERS or target == own:
                continue
            where = f"{path.relative_to(root)}:{line} imports components.{target}"
            if LAYERS[target] > LAYERS[own]:
                problems.append(f"{where}, a layer above its own")
            elif target in CLOUDS:
                problems.append(f"{where}, a cloud package")
    return problems


def test_no_module_imports_a_layer_above_its_own_or_another_cloud():
    assert violations() == []


@pytest.mark.parametrize("module, text, expected", [
    ("core/x.py", "from ..capacity.planning import plan_model\n", "core/x.py:1 imports components.capacity, a layer above its own"),
    ("capacity/x.py", "from ..aws.instance_types import INSTANCE_TYPES\n", "capacity/x.py:1 imports components.aws, a layer above its own"),
    ("gcp/x.py", "from components.aws.spec import GPU_TAINT\n", "gcp/x.py:1 imports components.aws, a cloud package"),
    ("core/manifests/x.py", "from ...kubernetes import VllmModel\n", "core/manifests/x.py:1 imports components.kubernetes, a layer above its own"),
])
def test_the_check_sees_each_kind_of_violation(tmp_path, module, text, expected):
    path = tmp_path / module
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert violations(tmp_path) == [expected]
