"""Shared pieces of the Google Cloud components: the type-token prefix, and pulumi-gcp loaded only
by the components that create Google Cloud resources (the `gcp` extra)."""

from __future__ import annotations

from typing import Any

from ..kubernetes._base import extra_package

TOKEN_PREFIX = "llmstack:gcp"


def gcp() -> Any:
    """pulumi_gcp, or an error naming the extra that brings it."""
    return extra_package("pulumi_gcp", "gcp")
