"""Validation of custom resources against the CRDs in tests/data/crds, and those the stack installs
itself (components/kubernetes/crds) (strict: unknown fields refused)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

CRDS = Path(__file__).resolve().parent / "data" / "crds"
INSTALLED_CRDS = Path(__file__).resolve().parent.parent / "components" / "kubernetes" / "crds"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.1 reads a bare `=` (an enum value of AlertmanagerConfig's matchType) as the `value` type,
    which PyYAML cannot build; Kubernetes (YAML 1.2) reads it as the string "="."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
_LOADER = _Loader


@lru_cache(maxsize=None)
def _definitions() -> dict[tuple[str, str], dict]:
    """(kind, apiVersion) -> openAPIV3Schema, for every served version of every CRD in tests/data/crds."""
    found = {}
    for path in sorted([*CRDS.glob("*.yaml"), *INSTALLED_CRDS.glob("*.yaml")]):
        for doc in yaml.load_all(path.read_text(), Loader=_LOADER):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
            for version in doc["spec"]["versions"]:
                if version.get("served"):
                    found[(kind, f"{group}/{version['name']}")] = version["schema"]["openAPIV3Schema"]
    return found


@lru_cache(maxsize=None)
def schema_of(kind: str, api_version: str) -> dict:
    schema = _definitions().get((kind, api_version))
    assert schema is not None, f"no CRD serving {api_version} {kind} in tests/data/crds"
    return strict(schema)


def strict(schema: dict) -> dict:
    """Objects with declared properties refuse others, unless the CRD keeps unknown fields."""
    schema = dict(schema)
    if schema.get("type") == "object" and "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        schema.setdefault("additionalProperties", False)
    for key in ("properties",):
        if key in schema:
            schema[key] = {name: strict(sub) for name, sub in schema[key].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = strict(schema[key])
    if "pattern" in schema and not _python_regex(schema["pattern"]):
        del schema["pattern"]  # a Go (RE2) pattern Python cannot compile, e.g. a mid-pattern (?i)
    if schema.get("x-kubernetes-int-or-string"):
        schema.pop("type", None)
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    return schema


def _python_regex(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def kinds() -> set[str]:
    """Kinds with a CRD in tests/data/crds."""
    return {kind for kind, _ in _definitions()}


@lru_cache(maxsize=None)
def _validator(kind: str, api_version: str) -> jsonschema.protocols.Validator:
    """A validator per CRD version, its schema checked once (jsonschema.validate checks it on every call)."""
    schema = schema_of(kind, api_version)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate(manifest: dict) -> None:
    error = jsonschema.exceptions.best_match(_validator(manifest["kind"], manifest["apiVersion"]).iter_errors(manifest))
    if error is not None:
        raise error
