"""The Python examples of the README and docs/ and the public API type-check (pyright, pinned in requirements-dev),
and a type checker sees the mistakes a user can make: the Args classes keep typed signatures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PYRIGHT = Path(sys.executable).with_name("pyright")


def pyright(tmp_path: Path, *files: Path) -> list[dict]:
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"extraPaths": [str(ROOT)], "pythonVersion": "3.11", "typeCheckingMode": "standard"}))
    proc = subprocess.run([str(PYRIGHT), "--outputjson", "--pythonpath", sys.executable, "-p", str(config), *map(str, files)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.stdout, proc.stderr
    return [d for d in json.loads(proc.stdout)["generalDiagnostics"] if d["severity"] == "error"]


def readme_examples() -> list[str]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    blocks = [b for page in pages for b in re.findall(r"```python\n(.*?)```", page.read_text(), re.S)]
    return [block for block in blocks if "from components" in block]


def test_the_readme_examples_and_the_public_api_type_check(tmp_path):
    examples = readme_examples()
    assert len(examples) >= 2
    files = []
    for index, block in enumerate(examples):
        files.append(tmp_path / f"readme_{index}.py")
        files[-1].write_text(block)
    errors = pyright(tmp_path, *files, ROOT / "tests" / "typing" / "public_api.py")
    assert errors == [], "\n".join(f"{Path(e['file']).name}:{e['range']['start']['line'] + 1}: {e['message']}" for e in errors)


def test_a_type_checker_catches_each_marked_mistake(tmp_path):
    mistakes = ROOT / "tests" / "typing" / "mistakes.py"
    marked = [n for n, line in enumerate(mistakes.read_text().splitlines(), 1) if "# MISTAKE" in line]
    errors = pyright(tmp_path, mistakes)
    assert sorted({e["range"]["start"]["line"] + 1 for e in errors}) == marked
