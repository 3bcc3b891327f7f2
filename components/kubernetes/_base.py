"""Shared pieces of the Kubernetes components: typed args base, and the project's type-token prefix."""

from __future__ import annotations

import re
from typing import Any

import pydantic
import pulumi

TOKEN_PREFIX = "llmstack:kubernetes"

# A value that may be a plain value or a Pulumi Output (namespaces, claim and secret names).
InputStr = Any


class ComponentArgs(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def resource_kwargs(manifest: dict) -> dict:
    """A built manifest as keyword arguments of its pulumi-kubernetes resource class: apiVersion and
    kind are implied by the class, top-level fields are snake_case, nested ones stay as built."""
    body = {}
    for key, value in manifest.items():
        if key in ("apiVersion", "kind"):
            continue
        body[re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()] = value
    return body


def child(parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, **kwargs)
