"""One model served by vLLM: ServiceAccount, Deployment, ClusterIP Service and PodDisruptionBudget."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s
import pydantic

from ..capacity.planning import ModelPlan, plan_model
from ..core.cluster import NodePool
from ..core.labels import CostLabels
from ..core.manifests.served_model import Scraping, ServedModelObjects, served_model_objects
from ..core.manifests.vllm import PORT
from ..core.model import ModelSpec
from ..core.monitoring.spec import AutoscalingSpec
from ._base import TOKEN_PREFIX, ComponentArgs, InputStr, child, custom_resource_kwargs, resource_kwargs


class ModelMonitoringArgs(ComponentArgs):
    """How a model is watched: its ServiceMonitor, and with `autoscaling` a KEDA ScaledObject on its queue."""

    prometheus_url: str
    serving_namespace: str
    """The serving namespace's name as text, for the autoscaler's query."""
    crds_ready: list[pulumi.Resource] = []
    """The releases that install the ServiceMonitor and ScaledObject CRDs."""
    autoscaling: Optional[AutoscalingSpec] = None
    """Queue-depth autoscaling; unset keeps replicas.min."""
    service_monitor_labels: dict[str, str] = {}
    """Labels a reused Prometheus selects ServiceMonitors by (its serviceMonitorSelector)."""


class VllmModelArgs(ComponentArgs):
    """One model served by vLLM on its pool: a Deployment mounting the read-only cache claim, its Service
    and PodDisruptionBudget, rendered from the model's plan (fit, settings, start-up budget, rollout)."""

    namespace: InputStr
    model: ModelSpec
    pool: NodePool
    cache_claim: InputStr
    cache_ready: Optional[pulumi.Resource] = None
    cost: CostLabels
    config_path: str = "model"
    monitoring: Optional[ModelMonitoringArgs] = None
    """Scrape the model (ServiceMonitor) and, with autoscaling, scale it on its queue (ScaledObject)."""
    plan: Optional[ModelPlan] = None
    """The model's plan (components.capacity: plan_stack for a whole stack, plan_model for one).
    Unset, the arguments plan the model when they are made; the component renders from the plan."""

    @pydantic.model_validator(mode="after")
    def _planned(self) -> "VllmModelArgs":
        if self.plan is None:
            object.__setattr__(self, "plan", plan_model(self.model, self.pool, self.config_path))
        return self


class VllmModel(pulumi.ComponentResource):
    """`VllmModel(name, VllmModelArgs(...), opts)`: see VllmModelArgs. A bad argument raises ConfigError naming it."""

    service_name: pulumi.Output[str]
    """ClusterIP Service in front of the model's pods."""
    service_host: pulumi.Output[str]
    """Cluster DNS name of the Service, e.g. qwen.llm.svc.cluster.local."""
    endpoint: pulumi.Output[str]
    """In-cluster base URL of the OpenAI-compatible API, e.g. http://qwen.llm.svc.cluster.local:8000/v1."""
    served_model_name: str
    """The `model` value clients send."""

    def __init__(self, name: str, args: VllmModelArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:VllmModel", name, None, opts)
        plan = args.plan
        assert plan is not None, "VllmModelArgs plans the model when it is made"
        monitoring = args.monitoring
        scraping = None if monitoring is None else Scraping(
            prometheus_url=monitoring.prometheus_url, serving_namespace=monitoring.serving_namespace,
            autoscaling=monitoring.autoscaling, service_monitor_labels=dict(monitoring.service_monitor_labels))
        objects = served_model_objects(plan.model, args.pool, problems=plan.problems, namespace=args.namespace,
                                       cost=args.cost, claim=args.cache_claim, surge=plan.surge, scraping=scraping,
                                       cold_start=plan.cold_start)
        self._warn(args, plan)
        account = self._create(k8s.core.v1.ServiceAccount, f"{name}-sa", objects.service_account)
        self._create_deployment(name, args, objects, account)
        service = self._create(k8s.core.v1.Service, f"{name}-service", objects.service)
        self._create(k8s.policy.v1.PodDisruptionBudget, f"{name}-pdb", objects.pod_disruption_budget)
        after = list(monitoring.crds_ready) if monitoring is not None else []
        for part, manifest in (("monitor", objects.service_monitor), ("autoscaler", objects.scaled_object)):
            if manifest is not None:
                k8s.apiextensions.CustomResource(f"{name}-{part}", **custom_resource_kwargs(manifest),
                                                 opts=child(self, depends_on=after or None))
        self.service_name = service.metadata.name
        self.service_host = pulumi.Output.concat(service.metadata.name, ".", service.metadata.namespace, ".svc.cluster.local")
        self.endpoint = pulumi.Output.concat("http://", self.service_host, f":{PORT}/v1")
        self.served_model_name = plan.model.served_name
        self.register_outputs({"service_name": self.service_name, "service_host": self.service_host, "endpoint": self.endpoint,
                               "served_model_name": self.served_model_name})

    def _warn(self, args: VllmModelArgs, plan: ModelPlan) -> None:
        for warning in plan.warnings:
            pulumi.log.warn(f"{args.config_path}: {warning}", resource=self)
        if not plan.surge:
            pulumi.log.warn(f"{args.config_path}.replicas.max: pool '{args.pool.name}' has no room for an extra pod at "
                            "replicas.max, so rollouts stop one pod before starting its successor"
                            f"{' (a brief outage with a single replica)' if plan.model.replicas.min == 1 else ''}; "
                            "raise the pool's maxNodes to roll without losing capacity", resource=self)

    def _create(self, resource: type, name: str, manifest: dict, **opts) -> pulumi.CustomResource:
        return resource(name, **resource_kwargs(manifest), opts=child(self, **opts))

    def _create_deployment(self, name: str, args: VllmModelArgs, objects: ServedModelObjects,
                           account: pulumi.Resource) -> None:
        # `pulumi up` waits for the rollout; loading weights may take the whole startup budget.
        timeout = f"{objects.startup_budget_seconds + 600}s"
        autoscaled = objects.scaled_object is not None
        self._create(
            k8s.apps.v1.Deployment, f"{name}-deployment", objects.deployment,
            # The pods run as the ServiceAccount the same render named; wait for it and for the cache.
            depends_on=[account, *([args.cache_ready] if args.cache_ready is not None else [])],
            custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
            # The autoscaler owns the replica count once it exists; `pulumi up` must not reset it.
            ignore_changes=["spec.replicas"] if autoscaled else None,
        )
