"""The populate Job's script, run for real against a stand-in for huggingface_hub that serves files
from a local 'remote' folder with the same metadata shape as the Hub (sha256 for LFS files, git
blob SHA-1 for the others)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "components" / "kubernetes" / "scripts" / "populate_cache.py"
REVISION = "c" * 40

FAKE_HUB = r'''
import json, os, shutil
from pathlib import Path
from types import SimpleNamespace as NS

REMOTE = Path(os.environ["FAKE_REMOTE"])
LOG = Path(os.environ["FAKE_LOG"])

def _log(event):
    with LOG.open("a") as f:
        f.write(event + "\n")

class HfApi:
    def __init__(self, token=None):
        _log(f"api token={token}")

    def model_info(self, repo, revision, files_metadata):
        meta = json.loads((REMOTE / "meta.json").read_text())
        siblings = [NS(rfilename=s["name"], size=s["size"], blob_id=s.get("blob_id"),
                       lfs=NS(**s["lfs"]) if s.get("lfs") else None) for s in meta["files"]]
        return NS(sha=meta["sha"], siblings=siblings)

def snapshot_download(repo_id, revision, local_dir, token, ignore_patterns, max_workers):
    _log(f"download {repo_id}@{revision} ignore={ignore_patterns}")
    meta = json.loads((REMOTE / "meta.json").read_text())
    for s in meta["files"]:
        if ignore_patterns and any(__import__("fnmatch").fnmatch(s["name"], p) for p in ignore_patterns):
            continue
        target = Path(local_dir) / s["name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copy(REMOTE / "files" / s["name"], target)
    return local_dir
'''


@pytest.fixture
def hub(tmp_path):
    remote = tmp_path / "remote"
    files = {"config.json": b'{"a": 1}', "model.safetensors": os.urandom(4096), "original/consolidated.pth": b"x" * 100}
    meta = {"sha": REVISION, "files": []}
    for name, data in files.items():
        path = remote / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        entry = {"name": name, "size": len(data)}
        if name.endswith((".safetensors", ".pth")):
            entry["lfs"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "pointer_size": 130}
        else:
            entry["blob_id"] = hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()
        meta["files"].append(entry)
    (remote / "meta.json").write_text(json.dumps(meta))
    package = tmp_path / "fakehub" / "huggingface_hub"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(FAKE_HUB)
    return tmp_path


def run(hub: Path, revision: str = REVISION, corrupt: bool = False) -> tuple[int, str, list[str]]:
    target = hub / "cache" / "Org--M" / revision
    env = {
        "PATH": os.environ["PATH"], "PYTHONPATH": str(hub / "fakehub"),
        "FAKE_REMOTE": str(hub / "remote"), "FAKE_LOG": str(hub / "log"),
        "MODEL_REPO": "Org/M", "MODEL_REVISION": revision, "MODEL_DIR": str(target),
        "EXCLUDE": json.dumps(["original/*", "*.pth"]),
    }
    if corrupt:
        target.mkdir(parents=True, exist_ok=True)
        (target / "model.safetensors").write_bytes(b"\0" * 4096)  # right size, wrong content
    proc = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    log = (hub / "log").read_text().splitlines() if (hub / "log").exists() else []
    return proc.returncode, proc.stdout + proc.stderr, log


def test_downloads_verifies_and_marks_complete(hub):
    code, output, log = run(hub)
    assert code == 0, output
    target = hub / "cache" / "Org--M" / REVISION
    assert (target / ".llmstack-complete").read_text().strip() == REVISION
    assert (target / "model.safetensors").read_bytes() == (hub / "remote" / "files" / "model.safetensors").read_bytes()
    assert not (target / "original").exists(), "excluded files are not downloaded"
    assert "download Org/M@" + REVISION + " ignore=['original/*', '*.pth']" in log


def test_rerun_of_a_complete_revision_touches_nothing(hub):
    assert run(hub)[0] == 0
    code, output, log = run(hub)
    assert code == 0 and "already complete" in output
    assert sum(line.startswith("download") for line in log) == 1


def test_corrupt_file_fails_is_removed_and_not_marked(hub):
    code, output, _ = run(hub, corrupt=True)
    assert code == 1
    assert "model.safetensors: SHA-256 does not match the Hub's" in output
    target = hub / "cache" / "Org--M" / REVISION
    assert not (target / ".llmstack-complete").exists()
    assert not (target / "model.safetensors").exists(), "the next attempt must download it again"
    code, output, _ = run(hub)
    assert code == 0, output


def test_revision_that_is_not_the_resolved_commit_is_refused(hub):
    code, output, _ = run(hub, revision="d" * 40)
    assert code == 2 and "pin the full commit SHA" in output
