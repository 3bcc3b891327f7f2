"""Cloud-neutral Kubernetes components of the serving stack."""

from .model_cache import ModelCache, ModelCacheArgs
from .namespace import ServingNamespace, ServingNamespaceArgs
from .vllm_model import VllmModel, VllmModelArgs

__all__ = [
    "ModelCache", "ModelCacheArgs",
    "ServingNamespace", "ServingNamespaceArgs",
    "VllmModel", "VllmModelArgs",
]
