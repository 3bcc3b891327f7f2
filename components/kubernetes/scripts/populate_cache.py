#!/usr/bin/env python3
"""Fill a model cache with one pinned revision of a Hugging Face repo, verify it, mark it complete.

Runs in the populate Job (mounted from a ConfigMap, executed by the serving image's Python, which
ships huggingface_hub). Idempotent: a revision already marked complete is left alone; an
interrupted download resumes. Every file is checked against the Hub's metadata for the pinned
commit: LFS files by SHA-256, other files by their git blob SHA-1. A file that fails the check is
deleted so the Job's next attempt downloads it again, and the revision is not marked complete.

Environment: MODEL_REPO, MODEL_REVISION, MODEL_DIR, EXCLUDE (JSON list of fnmatch patterns),
HF_TOKEN (optional), MAX_WORKERS (optional).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import sys
from pathlib import Path

MARKER = ".llmstack-complete"
CHUNK = 16 * 1024 * 1024


def _digest(path: Path, algorithm: str, prefix: bytes = b"") -> str:
    digest = hashlib.new(algorithm)
    digest.update(prefix)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def git_blob_sha1(path: Path) -> str:
    return _digest(path, "sha1", f"blob {path.stat().st_size}\0".encode())


def excluded(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def verify(target: Path, siblings: list, patterns: list[str]) -> list[str]:
    """Problems with the files of `target` against the repo's file metadata; empty when all match."""
    problems = []
    for sibling in siblings:
        name = sibling.rfilename
        if excluded(name, patterns):
            continue
        path = target / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        lfs = getattr(sibling, "lfs", None)
        expected_size = lfs.size if lfs else sibling.size
        if expected_size is not None and path.stat().st_size != expected_size:
            problems.append(f"{name}: {path.stat().st_size} bytes, expected {expected_size}")
        elif lfs is not None and _digest(path, "sha256") != lfs.sha256:
            problems.append(f"{name}: SHA-256 does not match the Hub's")
        elif lfs is None and sibling.blob_id and git_blob_sha1(path) != sibling.blob_id:
            problems.append(f"{name}: git blob SHA-1 does not match the Hub's")
    return problems


def discard(target: Path, problems: list[str]) -> None:
    """Remove failed files and their download metadata so the next attempt fetches them again."""
    for problem in problems:
        name = problem.split(":", 1)[0]
        for path in (target / name, target / ".cache" / "huggingface" / "download" / f"{name}.metadata"):
            if path.is_file():
                path.unlink()


def main() -> int:
    repo = os.environ["MODEL_REPO"]
    revision = os.environ["MODEL_REVISION"]
    target = Path(os.environ["MODEL_DIR"])
    patterns = json.loads(os.environ.get("EXCLUDE", "[]"))
    token = os.environ.get("HF_TOKEN") or None
    marker = target / MARKER

    if marker.is_file() and marker.read_text().strip() == revision:
        print(f"{repo}@{revision} is already complete in {target}; nothing to do")
        return 0

    from huggingface_hub import HfApi, snapshot_download

    info = HfApi(token=token).model_info(repo, revision=revision, files_metadata=True)
    if info.sha != revision:
        print(f"{repo}: revision {revision} resolves to {info.sha}; pin the full commit SHA", file=sys.stderr)
        return 2
    total = sum((s.lfs.size if s.lfs else s.size or 0) for s in info.siblings if not excluded(s.rfilename, patterns))
    print(f"downloading {repo}@{revision} ({total / 2**30:.1f} GiB) into {target}", flush=True)
    target.mkdir(parents=True, exist_ok=True)
    snapshot_download(
        repo_id=repo,
        revision=revision,
        local_dir=str(target),
        token=token,
        ignore_patterns=patterns or None,
        max_workers=int(os.environ.get("MAX_WORKERS", "8")),
    )
    print("verifying checksums", flush=True)
    problems = verify(target, info.siblings, patterns)
    if problems:
        print("verification failed:\n  " + "\n  ".join(problems), file=sys.stderr)
        discard(target, problems)
        return 1
    partial = target / f"{MARKER}.tmp"
    partial.write_text(revision + "\n")
    partial.replace(marker)
    print(f"{repo}@{revision} complete", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
