"""Every object of one served model, rendered in one call from its resolved model and pool.

The VllmModel component creates what this returns and nothing else: ServiceAccount, Deployment,
Service and PodDisruptionBudget, and with monitoring a ServiceMonitor and, when it autoscales, a
KEDA ScaledObject. Leaf values (namespace, claim) may be Pulumi Outputs; they are only placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..cluster import NodePool
from ..cold_start import ColdStart
from ..errors import Problem, raise_if
from ..labels import CostLabels, object_labels
from ..model import ModelSpec
from ..monitoring import objects as monitoring_objects
from ..monitoring.spec import AutoscalingSpec
from . import vllm


@dataclass(frozen=True)
class Scraping:
    """How the model is scraped and, with `autoscaling`, scaled on its queue."""

    prometheus_url: str
    serving_namespace: str
    """The serving namespace's name as text, for the autoscaler's query."""
    autoscaling: Optional[AutoscalingSpec] = None
    service_monitor_labels: dict[str, str] = field(default_factory=dict)
    """Labels a reused Prometheus selects ServiceMonitors by."""


@dataclass(frozen=True)
class ServedModelObjects:
    service_account: dict
    deployment: dict
    service: dict
    pod_disruption_budget: dict
    service_monitor: Optional[dict] = None
    scaled_object: Optional[dict] = None
    startup_budget_seconds: int = 0
    """How long the Deployment may take to roll out (the rollout waits this long, and a margin)."""


def served_model_objects(model: ModelSpec, pool: NodePool, *, problems: list[Problem], namespace: Any, cost: CostLabels,
                         claim: Any, surge: bool = True, scraping: Optional[Scraping] = None,
                         cold_start: Optional[ColdStart] = None) -> ServedModelObjects:
    """The objects of a resolved model (its plan's model), or a ConfigError with its plan's problems.
    `cold_start`: its plan's, for a model that rests at zero."""
    raise_if(problems)
    labels = object_labels(vllm.COMPONENT, model.name, cost, model=model.name)
    account = vllm.service_account(model, namespace=namespace, labels=labels)
    deployment = vllm.deployment(model, pool, namespace=namespace, labels=labels, image=vllm.image_for(model, pool),
                                 claim=claim, service_account=account["metadata"]["name"], surge=surge)
    monitor = scaled = None
    if scraping is not None:
        monitor = monitoring_objects.service_monitor(model, namespace=namespace,
                                                     labels={**labels, **scraping.service_monitor_labels})
        if scraping.autoscaling is not None:
            scaled = monitoring_objects.scaled_object(model, scraping.autoscaling, namespace=namespace, labels=labels,
                                                      prometheus_url=scraping.prometheus_url,
                                                      serving_namespace=scraping.serving_namespace,
                                                      cold_start=cold_start)
    return ServedModelObjects(
        service_account=account, deployment=deployment,
        service=vllm.service(model, namespace=namespace, labels=labels),
        pod_disruption_budget=vllm.pod_disruption_budget(model, namespace=namespace, labels=labels),
        service_monitor=monitor, scaled_object=scaled, startup_budget_seconds=vllm.startup_budget(model),
    )
