"""The config reference (docs/configuration.md, linked from the README) names every config key the stack
accepts, and no key it refuses."""

from __future__ import annotations

import re
from typing import get_args, get_origin

import pydantic

from infra.config import StackConfig
from tests.conftest import ROOT

REFERENCE = (ROOT / "docs" / "configuration.md").read_text()


def keys(model: type[pydantic.BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        out.add(path)
        inner = field.annotation
        is_list = get_origin(inner) is list
        candidates = get_args(inner) if get_origin(inner) else (inner,)
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, pydantic.BaseModel):
                out |= keys(candidate, f"{path}[]." if is_list else f"{path}.")
    return out


def test_every_config_key_is_documented():
    reference = REFERENCE
    documented = set(re.findall(r"^\| `([^`]+)`", reference, re.MULTILINE))
    nested = set(re.findall(r"`(\w+)`", reference))
    missing = []
    for key in sorted(keys(StackConfig)):
        leaf = key.split(".")[-1].rstrip("[]")
        is_section = any(d.startswith(key + ".") for d in documented)
        if not is_section and key not in documented and key + "[]" not in documented and leaf not in nested:
            missing.append(key)
    assert not missing, f"docs/configuration.md lacks: {missing}"
    top_level = {k.split(".")[0].rstrip("[]") for k in documented}
    allowed = {f.alias or n for n, f in StackConfig.model_fields.items()}
    assert top_level <= allowed, f"docs/configuration.md documents keys the stack refuses: {top_level - allowed}"
