"""Scheduling and storage decisions derived from the cluster contract, and the checks that make a
model's placement fail at preview instead of as a Pending pod (the planner, components/capacity,
runs them with its estimate for each model).

Tolerations, node affinity and the cache's access mode are computed here from the pool and storage
class a model names; nothing else types them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional, Sequence

from .catalog.gpus import GPU_PRODUCT_LABEL
from .cluster import AccessMode, ClusterSpec, NodePool, StorageClassInfo
from .errors import Problem
from .model import ModelSpec
from .quantity import parse_quantity


def tolerations_for(pool: NodePool) -> list[dict]:
    """Exactly the taints of the pool, tolerated; nothing more."""
    return [taint.toleration() for taint in pool.taints]


def node_affinity_for(pool: NodePool) -> Optional[dict]:
    """Required node affinity on the pool's labels and, for GPU pools, the GPU product."""
    expressions = [
        {"key": key, "operator": "In", "values": [value]} for key, value in sorted(pool.labels.items())
    ]
    if pool.is_gpu:
        expressions.append({"key": GPU_PRODUCT_LABEL, "operator": "In", "values": list(pool.product_labels)})
    if not expressions:
        return None
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": expressions}]
            }
        }
    }


def cache_access_mode(model: ModelSpec, klass: StorageClassInfo) -> Optional[AccessMode]:
    """The access mode the cache's claim requests, or None when the class offers none that works.

    ReadWriteMany whenever the class offers it, whatever the replica count: a claim's access modes
    cannot be changed after creation, so they must not follow a value changed in daily operation
    (raising replicas.max would otherwise replace the claim and download every weight again).
    ReadWriteOnce only on classes that offer nothing else, which holds one pod and the populate Job.
    """
    if "ReadWriteMany" in klass.access_modes:
        return "ReadWriteMany"
    if model.replicas.max == 1 and "ReadWriteOnce" in klass.access_modes:
        return "ReadWriteOnce"
    return None


def _on_pool(models: Sequence[ModelSpec], pool: NodePool) -> list[tuple[int, ModelSpec]]:
    return [(index, model) for index, model in enumerate(models) if model.pool == pool.name]


def pod_fit_problems(model: ModelSpec, pool: NodePool, path: str) -> list[Problem]:
    """One pod must fit on one node: its CPU and memory within what a node offers pods."""
    problems = []
    for resource, request, offered in (("cpu", model.resources.cpu, pool.allocatable_cpu),
                                       ("memory", model.resources.memory, pool.allocatable_memory)):
        if offered is not None and parse_quantity(request) > parse_quantity(offered):
            problems.append(Problem(
                f"{path}.resources.{resource}",
                f"{request} per pod, but a node of pool '{pool.name}' offers pods at most {offered} (its allocatable "
                f"{resource}, after the kubelet's and the system's reservations); the pod could never be scheduled. "
                f"Request at most {offered}, or use a pool of larger nodes",
            ))
    return problems


def pool_problems(models: Sequence[ModelSpec], cluster: ClusterSpec, path: str = "models") -> list[Problem]:
    """What the models of one pool need together, at their replicas.max, must fit in the pool at its
    maxNodes: GPUs, and CPU and memory node by node."""
    problems: list[Problem] = []
    for pool in cluster.pools:
        placed = _on_pool(models, pool)
        for index, model in placed:
            problems += pod_fit_problems(model, pool, f"{path}[{index}]") or _replica_fit_problems(model, pool, f"{path}[{index}]")
        if len(placed) < 2 or problems:
            continue
        demand = {index: _pool_demand(model, pool) for index, model in placed}
        for resource, capacity in _pool_capacity(pool).items():
            total = sum(d[resource] for d in demand.values())
            if capacity is not None and total > capacity:
                last = placed[-1][0]
                parts = ", ".join(f"{path}[{i}] {_show(d[resource], resource)}" for i, d in demand.items())
                problems.append(Problem(
                    f"{path}[{last}].replicas.max",
                    f"the models on pool '{pool.name}' need {_show(total, resource)} of {resource} at their replicas.max "
                    f"({parts}), but the pool has at most {_show(capacity, resource)} at maxNodes {pool.max_nodes}: "
                    "lower a model's replicas.max or raise the pool's maxNodes",
                ))
    return problems


def _pods_per_node(model: ModelSpec, pool: NodePool) -> Optional[int]:
    """How many of the model's pods one node holds by CPU and memory (None when the pool does not say)."""
    fits = [int(parse_quantity(offered) // parse_quantity(request))
            for request, offered in ((model.resources.cpu, pool.allocatable_cpu), (model.resources.memory, pool.allocatable_memory))
            if offered is not None]
    return min(fits) if fits else None


def _replica_fit_problems(model: ModelSpec, pool: NodePool, path: str) -> list[Problem]:
    """replicas.max pods must fit on maxNodes nodes when CPU or memory, not GPUs, limits pods per node."""
    per_node = _pods_per_node(model, pool)
    if per_node is None or model.replicas.max <= pool.max_nodes * per_node:
        return []
    return [Problem(
        f"{path}.replicas.max",
        f"{model.replicas.max} pods, but a node of pool '{pool.name}' holds {per_node} of them by CPU and memory "
        f"({model.resources.cpu} CPU, {model.resources.memory} each; a node offers {pool.allocatable_cpu} CPU, "
        f"{pool.allocatable_memory}), so its {pool.max_nodes} nodes hold {pool.max_nodes * per_node}: lower replicas.max "
        f"to {pool.max_nodes * per_node}, raise maxNodes to {-(-model.replicas.max // per_node)}, or request less per pod",
    )]


def _pool_demand(model: ModelSpec, pool: NodePool, at: str = "max") -> dict[str, Decimal]:
    pods = model.replicas.max if at == "max" else model.replicas.min
    return {"GPUs": Decimal(pods * model.gpus_per_replica) if pool.is_gpu else Decimal(0),
            "cpu": pods * parse_quantity(model.resources.cpu), "memory": pods * parse_quantity(model.resources.memory)}


def _pool_capacity(pool: NodePool) -> dict[str, Optional[Decimal]]:
    def total(per_node: Optional[str]) -> Optional[Decimal]:
        return None if per_node is None else pool.max_nodes * parse_quantity(per_node)
    gpus = Decimal(pool.max_nodes * pool.gpus_per_node * pool.gpu_sharing) if pool.is_gpu else None
    return {"GPUs": gpus, "cpu": total(pool.allocatable_cpu), "memory": total(pool.allocatable_memory)}


HOURS_PER_MONTH = 730
"""The month AWS's, Google's and Azure's pricing calculators bill: 730 hours."""


@dataclass(frozen=True)
class PoolDemand:
    """What the models of one pool ask of it, at replicas.min and replicas.max, against what it holds
    at maxNodes (None where the pool does not say: CPU and memory of an existing pool undeclared)."""

    pool: str
    at_min: dict[str, Decimal]
    at_max: dict[str, Decimal]
    capacity: dict[str, Optional[Decimal]]
    per_node: dict[str, Optional[Decimal]] = field(default_factory=dict)
    """What one node offers: GPUs (times time-slicing), allocatable CPU and memory."""
    price_per_node_hour: Optional[float] = None
    spot_price_per_node_hour: Optional[float] = None
    spot: bool = False
    min_nodes: int = 0
    """Nodes the pool keeps running whatever the models ask (the system pool's controllers, a floor)."""
    models: int = 0
    """How many models run on the pool (0: a pool listed only for what it costs)."""

    def nodes(self, at: str) -> Optional[int]:
        """The fewest nodes that hold the models at replicas.min ("min") or replicas.max ("max"), and at
        least min_nodes; None when the pool says nothing a node offers (a CPU pool of an existing
        cluster without allocatable) and keeps no nodes."""
        demand = self.at_min if at == "min" else self.at_max
        needed = [math.ceil(demand[r] / offer) for r, offer in self.per_node.items() if offer and demand[r]]
        if not needed:
            return self.min_nodes or None
        return max(self.min_nodes, *needed)

    def monthly_usd(self, at: str, spot: bool = False) -> Optional[float]:
        price = self.spot_price_per_node_hour if spot else self.price_per_node_hour
        nodes = self.nodes(at)
        return None if price is None or nodes is None else round(nodes * price * HOURS_PER_MONTH, 2)

    def describe(self) -> str:
        parts = []
        for resource in ("GPUs", "cpu", "memory"):
            held = self.capacity[resource]
            if held is None and not self.at_max[resource]:
                continue
            limit = "?" if held is None else _show(held, resource)
            parts.append(f"{resource} {_show(self.at_min[resource], resource)}..{_show(self.at_max[resource], resource)} of {limit}")
        return f"pool {self.pool}: " + ", ".join(parts)


def pool_demands(models: Sequence[ModelSpec], cluster: ClusterSpec) -> list[PoolDemand]:
    """Each pool's demand at its models' replicas.min and replicas.max, and what it holds; pools without
    models are listed too where they keep nodes running (minNodes), for what they cost."""
    demands = []
    for pool in cluster.pools:
        placed = [model for _, model in _on_pool(models, pool)]
        if not placed and not pool.min_nodes:
            continue
        totals = {at: {r: sum((_pool_demand(m, pool, at)[r] for m in placed), Decimal(0)) for r in ("GPUs", "cpu", "memory")}
                  for at in ("min", "max")}
        demands.append(PoolDemand(pool.name, totals["min"], totals["max"], _pool_capacity(pool), _per_node(pool),
                                  pool.price_per_node_hour, pool.spot_price_per_node_hour, pool.capacity_type == "spot",
                                  pool.min_nodes, len(placed)))
    return demands


def _per_node(pool: NodePool) -> dict[str, Optional[Decimal]]:
    def offer(value: Optional[str]) -> Optional[Decimal]:
        return None if value is None else parse_quantity(value)
    gpus = Decimal(pool.gpus_per_node * pool.gpu_sharing) if pool.is_gpu else None
    return {"GPUs": gpus, "cpu": offer(pool.allocatable_cpu), "memory": offer(pool.allocatable_memory)}


def _show(amount: Decimal, resource: str) -> str:
    if resource == "memory":
        return f"{amount / 2**30:.0f}Gi"
    return f"{amount.normalize():f}"


def surge_rollouts(models: Sequence[ModelSpec], cluster: ClusterSpec) -> dict[str, bool]:
    """Per model: whether its pool keeps room for one more pod while every model runs at replicas.max.

    With room, a rollout starts each new pod before it stops an old one (maxSurge 1, maxUnavailable
    0): capacity never drops. Without, that extra pod would stay Pending and the rollout would never
    finish, so the model rolls by replacing one pod at a time (maxSurge 0, maxUnavailable 1)."""
    surge = {}
    for pool in cluster.pools:
        placed = _on_pool(models, pool)
        if not pool.is_gpu:
            surge.update({model.name: True for _, model in placed})
            continue
        spare = pool.max_nodes * pool.gpus_per_node * pool.gpu_sharing - sum(m.replicas.max * m.gpus_per_replica for _, m in placed)
        surge.update({model.name: model.gpus_per_replica <= spare for _, model in placed})
    return surge


def gpu_problems(model: ModelSpec, pool: NodePool, path: str) -> list[Problem]:
    """A pod must fit on one node of its pool, and the pool must hold every replica at max scale."""
    tp = model.engine.tensor_parallel_size
    tp_path = f"{path}.engine.tensorParallelSize"
    if not pool.is_gpu:
        if tp > 1:
            return [Problem(tp_path, f"pool '{pool.name}' has no GPUs; tensor parallelism needs a GPU pool (set it to 1)")]
        return []
    if tp > pool.gpus_per_node:
        return [Problem(
            tp_path,
            f"{tp} GPUs per pod, but nodes of pool '{pool.name}' have {pool.gpus_per_node} x {pool.gpu}; "
            f"the pod could never be scheduled. Use tensorParallelSize <= {pool.gpus_per_node} or a pool with larger nodes",
        )]
    if pool.gpu_sharing > 1:
        problems = _shared_gpu_problems(model, pool, path)
        if problems:
            return problems
    per_node = pool.gpus_per_node * pool.gpu_sharing
    capacity = pool.max_nodes * per_node
    needed = model.replicas.max * tp
    if needed > capacity:
        return [Problem(
            f"{path}.replicas.max",
            f"{model.replicas.max} replicas x {tp} GPUs = {needed} GPUs, but pool '{pool.name}' has at most "
            f"{pool.max_nodes} nodes x {per_node} GPUs = {capacity}. Lower replicas.max to "
            f"{capacity // tp} or raise the pool's maxNodes to {-(-needed // per_node)}",
        )]
    return []


def _shared_gpu_problems(model: ModelSpec, pool: NodePool, path: str) -> list[Problem]:
    """Time-sliced GPUs share memory with no isolation: each pod must take only its share, and
    tensor parallelism over two slices of one GPU would be no parallelism at all."""
    share = pool.gpu_sharing
    if model.engine.tensor_parallel_size > 1:
        return [Problem(
            f"{path}.engine.tensorParallelSize",
            f"pool '{pool.name}' time-slices each GPU {share} ways, so 2 slices may be the same GPU: "
            "use tensorParallelSize 1 or a pool without time-slicing",
        )]
    limit = round(0.95 / share, 2)
    if model.engine.gpu_memory_utilization > limit:
        return [Problem(
            f"{path}.engine.gpuMemoryUtilization",
            f"{model.engine.gpu_memory_utilization} of GPU memory per pod, but pool '{pool.name}' shares each GPU "
            f"between {share} pods; set it to at most {limit} so they all fit",
        )]
    return []


def cache_problems(model: ModelSpec, klass: StorageClassInfo, path: str, rwx_classes: Sequence[str] = ()) -> list[Problem]:
    """The cache's storage class must offer an access mode its pods and populate Job can share."""
    if cache_access_mode(model, klass) is not None:
        return []
    rwx = list(rwx_classes)
    fix = f"use a ReadWriteMany class ({', '.join(rwx)})" if rwx else "add a ReadWriteMany storage class (NFS, EFS, Filestore, Azure Files)"
    supported = ", ".join(klass.access_modes)
    if model.replicas.max > 1:
        reason = (f"with replicas.max {model.replicas.max} the cache is mounted by several pods and needs "
                  f"ReadWriteMany: {fix}, or set replicas.max to 1")
    else:
        reason = f"the populate Job writes the cache, which needs ReadWriteOnce or ReadWriteMany: {fix}"
    return [Problem(f"{path}.cache.storageClass", f"class '{klass.name}' supports {supported}, but {reason}")]


def unique_names_problems(models: list[ModelSpec], path: str) -> list[Problem]:
    problems = []
    names: dict[str, int] = {}
    served: dict[str, int] = {}
    for index, model in enumerate(models):
        if model.name in names:
            problems.append(Problem(f"{path}[{index}].name", f"'{model.name}' is already used by {path}[{names[model.name]}]"))
        names.setdefault(model.name, index)
        if model.served_name in served:
            problems.append(Problem(
                f"{path}[{index}].servedModelName",
                f"'{model.served_name}' is already served by {path}[{served[model.served_name]}]; clients could not tell them apart",
            ))
        served.setdefault(model.served_name, index)
    return problems
