"""The documentation stays true: the walkthrough's stack file plans with the program's own loader,
and every link between the README and docs/ pages resolves (file and heading)."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_own_cluster_walkthrough_stack_plans(tmp_path):
    from tools.plan import load_stack

    text = (ROOT / "docs" / "own-cluster.md").read_text()
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "llmstack:cluster" in b]
    path = tmp_path / "Pulumi.mine.yaml"
    path.write_text(block)
    assert block.startswith("# yaml-language-server: $schema=./schema/stack.schema.json")
    stack = load_stack("mine", path)
    (plan,) = stack.plan.models.values()
    assert plan.estimate is not None and plan.estimate.fits and not plan.problems
    assert {p.pool for p in stack.plan.pools} == {"system", "l40s"}
    assert yaml.safe_load(block)["config"]["llmstack:cluster"]["type"] == "existing"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_between_pages_resolves(page):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
        if re.match(r"[a-z]+://", target):
            continue
        file, _, heading = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        if not linked.exists():
            broken.append(target)
        elif heading and heading not in {anchor(h) for h in re.findall(r"^#+ (.*)$", linked.read_text(), re.M)}:
            broken.append(target)
    assert not broken, f"{page.name}: {broken}"
