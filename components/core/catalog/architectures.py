"""The model architecture catalog: `architectures.yaml` beside this module, one entry per Hugging
Face repo id, each with the source its numbers were read from."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..architecture import Architecture

CATALOG_FILE = Path(__file__).with_name("architectures.yaml")


def _load() -> dict[str, Architecture]:
    entries = yaml.safe_load(CATALOG_FILE.read_text())
    return {repo: Architecture.model_validate(fields) for repo, fields in entries.items()}


ARCHITECTURES: dict[str, Architecture] = _load()
