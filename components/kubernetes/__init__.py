"""Cloud-neutral Kubernetes components of the serving stack.

ModelCache, ServingNamespace and VllmModel need only the base package. Monitoring needs the
`[monitoring]` extra and Gateway the `[gateway]` extra: they are imported when first named, and a
missing extra is reported by name.
"""

from __future__ import annotations

import importlib
from typing import Any

from .gpu_operator import GpuOperator, GpuOperatorArgs
from .model_cache import ModelCache, ModelCacheArgs
from .namespace import ServingNamespace, ServingNamespaceArgs
from .vllm_model import ModelMonitoringArgs, VllmModel, VllmModelArgs

_WITH_EXTRAS = {"Monitoring": ".monitoring", "MonitoringArgs": ".monitoring",
                "Gateway": ".gateway", "GatewayArgs": ".gateway", "RoutedModel": ".gateway"}

__all__ = [
    "GpuOperator", "GpuOperatorArgs",
    "ModelCache", "ModelCacheArgs",
    "ServingNamespace", "ServingNamespaceArgs",
    "VllmModel", "VllmModelArgs", "ModelMonitoringArgs",
    *_WITH_EXTRAS,
]


def __getattr__(name: str) -> Any:
    if name in _WITH_EXTRAS:
        return getattr(importlib.import_module(_WITH_EXTRAS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
