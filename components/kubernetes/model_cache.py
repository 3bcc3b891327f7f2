"""Model cache: a volume filled once with a pinned revision, mounted read-only by the servers."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.cluster import NodePool, StorageClassInfo, SystemPlacement
from ..core.errors import raise_if
from ..core.labels import CostLabels, object_labels
from ..core.manifests import cache as build
from ..core.manifests.vllm import image_for
from ..core.model import ModelSpec
from ..core.placement import cache_access_mode, cache_problems
from ._base import TOKEN_PREFIX, ComponentArgs, InputStr, child, resource_kwargs



class ModelCacheArgs(ComponentArgs):
    """A model's weight cache: a claim of `storage_class`, filled once by a Job that downloads `model.revision`,
    then mounted read-only by the model's pods (`ModelCache.claim_name`, `ModelCache.populated`)."""

    namespace: InputStr
    model: ModelSpec
    pool: NodePool
    storage_class: StorageClassInfo
    placement: SystemPlacement = SystemPlacement()
    scripts_configmap: InputStr
    token_secret: Optional[InputStr] = None
    cost: CostLabels
    config_path: str = "model"


class ModelCache(pulumi.ComponentResource):
    """`ModelCache(name, ModelCacheArgs(...), opts)`: see ModelCacheArgs. A bad argument raises ConfigError naming it."""

    claim_name: pulumi.Output[str]
    """The PVC holding the weights; mount it read-only."""
    model_dir: str
    """Directory of the pinned revision inside the volume, as mounted at /models."""
    populated: pulumi.Resource
    """The populate Job; `pulumi up` waits for it to complete. Depend on it before serving."""

    def __init__(self, name: str, args: ModelCacheArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:ModelCache", name, None, opts)
        raise_if(cache_problems(args.model, args.storage_class, args.config_path))
        labels = object_labels(build.COMPONENT, args.model.name, args.cost, model=args.model.name)
        self.claim_name = self._create_claim(name, args, labels)
        self.model_dir = build.model_dir(args.model)
        self.populated = self._create_job(name, args, labels)
        self.register_outputs({"claim_name": self.claim_name, "model_dir": self.model_dir})

    def _create_claim(self, name: str, args: ModelCacheArgs, labels: dict) -> pulumi.Output[str]:
        manifest = build.persistent_volume_claim(
            args.model, namespace=args.namespace, access_mode=cache_access_mode(args.model, args.storage_class), labels=labels
        )
        claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-claim",
            **resource_kwargs(manifest),
            # With WaitForFirstConsumer classes a claim binds only when the Job's pod is scheduled.
            opts=child(self, protect=args.storage_class.retained),
        )
        return claim.metadata.name

    def _create_job(self, name: str, args: ModelCacheArgs, labels: dict) -> pulumi.Resource:
        manifest = build.populate_job(
            args.model,
            namespace=args.namespace,
            claim=self.claim_name,
            scripts_configmap=args.scripts_configmap,
            token_secret=args.token_secret,
            image=image_for(args.model, args.pool),
            placement=args.placement,
            labels=labels,
        )
        timeout = f"{args.model.cache.populate_timeout_seconds + 600}s"
        return k8s.batch.v1.Job(
            f"{name}-populate",
            **resource_kwargs(manifest),
            opts=child(self, custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)),
        )
