"""Google Cloud: GKE with tainted GPU node pools, GKE-managed GPU drivers, the DCGM exporter and one
Filestore instance for model weights, producing the cluster contract the serving layer consumes.

The pure modules (`spec`, `machine_types`, `prices`, `builders`) import without pulumi-gcp (the
`gcp` extra); the components load it when first used.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "GkePlatform": ".platform", "GkePlatformArgs": ".platform",
    "GkeClusterSpec": ".spec", "GkeGpuPoolSpec": ".spec", "GkeNetworkSpec": ".spec", "GkeSystemPoolSpec": ".spec",
    "GkeStorageSpec": ".spec",
}
__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(_LAZY[name], __name__), name)
