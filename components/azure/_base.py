"""Shared pieces of the Azure components: the type-token prefix, and pulumi-azure-native loaded only
by the components that create Azure resources (the `azure` extra)."""

from __future__ import annotations

from typing import Any

from ..kubernetes._base import extra_package

TOKEN_PREFIX = "llmstack:azure"


def azure() -> Any:
    """pulumi_azure_native, or an error naming the extra that brings it."""
    return extra_package("pulumi_azure_native", "azure")
