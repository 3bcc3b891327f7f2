"""Every model of a stack against the cluster contract, planned once.

`plan_stack` is what config validation runs and what the components render from: one ModelPlan per
placeable model (verdict, resolved settings, rollout) and every problem of the stack, each with its
config path: names used twice, a pool or storage class that does not exist, a checkpoint the engine
cannot read, a model that does not fit its GPUs, a cache that cannot hold it or be shared, and
pools that cannot hold their models together at replicas.max.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Sequence

from ..core.catalog.gated import gate
from ..core.cluster import ClusterSpec, MachineShape
from ..core.errors import Problem
from ..core.model import ModelSpec
from ..core.placement import (PoolDemand, cache_problems, pool_demands, pool_problems, surge_rollouts,
                              unique_names_problems)
from .planning import ModelPlan, checkpoint_problems, cold_start_seconds, plan_model


@dataclass(frozen=True)
class StackPlan:
    models: dict[str, ModelPlan] = field(default_factory=dict)
    """Model name -> its plan, for every model whose pool exists."""
    problems: list[Problem] = field(default_factory=list)
    pools: list[PoolDemand] = field(default_factory=list)
    """What each pool's models ask of it at replicas.min and replicas.max, against what it holds."""


def plan_stack(models: Sequence[ModelSpec], cluster: ClusterSpec, machines: Sequence[MachineShape] = (),
               path: str = "models", can_autoscale: bool = True, has_hf_token: bool = True) -> StackPlan:
    """Plan every model once; problems are reported for all of them together, one per mistake.
    `can_autoscale`: an autoscaler can exist (monitoring is on); without one, a model whose
    replicas.max exceeds replicas.min is warned that it stays at replicas.min. `has_hf_token`: the
    stack sets hfToken; without it, a model from a gated repo is warned that its download fails."""
    problems = unique_names_problems(list(models), path)
    plans: dict[str, ModelPlan] = {}
    for index, model in enumerate(models):
        plan, model_problems = _plan_one(model, cluster, machines, f"{path}[{index}]")
        problems += model_problems
        if plan is not None:
            plans.setdefault(model.name, plan)
    for index, model in enumerate(models):
        problems += resting_problems(model, cluster, f"{path}[{index}]", can_autoscale)
    if not problems:
        problems += pool_problems(list(models), cluster, path)
    surge = surge_rollouts(list(models), cluster)
    plans = {name: dataclasses.replace(plan, surge=surge.get(name, True), cache_class=cluster.storage_class(plan.model.cache.storage_class),
                                       warnings=[*plan.warnings, *_scaling_warnings(plan.model, can_autoscale),
                                                 *_access_warnings(plan.model, has_hf_token)])
             for name, plan in plans.items()}
    return StackPlan(plans, problems, pool_demands(list(models), cluster))


def check_models(models: Sequence[ModelSpec], cluster: ClusterSpec, path: str = "models",
                 machines: Sequence[MachineShape] = ()) -> list[Problem]:
    """Every problem with where the models would run and store their weights, one per mistake."""
    return plan_stack(models, cluster, machines, path).problems


def check_model(model: ModelSpec, cluster: ClusterSpec, path: str, machines: Sequence[MachineShape] = ()) -> list[Problem]:
    return _plan_one(model, cluster, machines, path)[1]


def _plan_one(model: ModelSpec, cluster: ClusterSpec, machines: Sequence[MachineShape],
              path: str) -> tuple[ModelPlan | None, list[Problem]]:
    pool = cluster.pool(model.pool)
    problems = checkpoint_problems(model, path, gpu_pool=pool is not None and pool.is_gpu)
    plan = None
    if pool is None:
        known = ", ".join(p.name for p in cluster.pools)
        problems.append(Problem(f"{path}.pool", f"no pool named '{model.pool}' in the cluster; pools: {known}"))
    else:
        plan = plan_model(model, pool, path, machines)
        problems += plan.problems
    klass = cluster.storage_class(model.cache.storage_class)
    if klass is None:
        known = ", ".join(c.name for c in cluster.storage_classes)
        problems.append(Problem(f"{path}.cache.storageClass", f"no storage class '{model.cache.storage_class}'; classes: {known}"))
    else:
        rwx = [c.name for c in cluster.storage_classes if "ReadWriteMany" in c.access_modes]
        problems += cache_problems(model, klass, path, rwx_classes=rwx)
    return plan, problems


def resting_problems(model: ModelSpec, cluster: ClusterSpec, path: str, can_autoscale: bool = True) -> list[Problem]:
    """What a model that rests at zero (replicas.min 0) needs: one replica, an autoscaler to wake it, a
    cache its first replica mounts on whatever node it gets, and an idle window no shorter than its
    cold start; scaleToZero settings only where they apply."""
    if not model.rests_at_zero:
        if model.scale_to_zero is None:
            return []
        return [Problem(f"{path}.scaleToZero", f"set, but replicas.min is {model.replicas.min}: set replicas.min to 0 for "
                        "the model to rest at zero when idle, or remove scaleToZero")]
    problems = []
    if model.replicas.max > 1:
        problems.append(Problem(f"{path}.replicas.max", (
            f"{model.replicas.max} with replicas.min 0: a model that rests at zero serves from one replica. Its requests "
            "pass through KEDA's interceptor, which holds them while it starts but cannot pick the replica holding a "
            "prompt's prefix cache (holding them in the endpoint picker instead is unproven past AI Gateway's 300 s "
            "ext_proc timeout). Use replicas.max: 1, or replicas.min: 1 without scaleToZero to keep it warm and route its replicas by prefix cache")))
    if not can_autoscale:
        problems.append(Problem(f"{path}.replicas.min", (
            "0 needs KEDA to wake the model on its first request, and KEDA comes with monitoring (installed, or the "
            "cluster's with monitoring.reuse.keda): enable `monitoring`, or use replicas.min: 1 without scaleToZero")))
    klass = cluster.storage_class(model.cache.storage_class)
    if klass is not None and "ReadWriteMany" not in klass.access_modes:
        shared = ", ".join(c.name for c in cluster.storage_classes if "ReadWriteMany" in c.access_modes) or "none in this cluster"
        problems.append(Problem(f"{path}.cache.storageClass", (
            f"'{klass.name}' gives volumes one node at a time ({', '.join(klass.access_modes)}): after a rest, the first replica "
            f"lands on a new GPU node, possibly in another zone, and could not mount the cache. Use a shared class "
            f"(ReadWriteMany: {shared})")))
    idle = model.resting.idle_seconds if model.resting is not None else None
    if idle is not None:
        cold = cold_start_seconds(model)
        if idle < cold:
            problems.append(Problem(f"{path}.scaleToZero.idleSeconds", (
                f"{idle}s is shorter than the model's cold start (~{cold}s: a GPU node, the image and its start-up budget): "
                f"it would spend longer waking than resting, and idle GPUs would cost more, not less. Use idleSeconds >= {cold}")))
    return problems


def _scaling_warnings(model: ModelSpec, can_autoscale: bool) -> list[str]:
    replicas = model.replicas
    if can_autoscale or replicas.max == replicas.min:
        return []
    return [f"replicas.max {replicas.max} > replicas.min {replicas.min}, but with monitoring off no autoscaler exists: the "
            f"model stays at {replicas.min} replica(s). Set `monitoring` to scale it on its queue, or replicas.max to {replicas.min}"]


def _access_warnings(model: ModelSpec, has_hf_token: bool) -> list[str]:
    how = None if has_hf_token else gate(model.repo)
    if how is None:
        return []
    return [f"{model.repo} is a gated repo on Hugging Face ({how}), and no hfToken is set: the cache's populate Job "
            "would fail with 401/403. Once your account has access: `pulumi config set --secret hfToken hf_...`"]
