"""One model served by vLLM: ServiceAccount, Deployment, ClusterIP Service and PodDisruptionBudget."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..capacity.planning import capacity_problems, resolve
from ..core.cluster import NodePool
from ..core.errors import raise_if
from ..core.labels import CostLabels, object_labels
from ..core.manifests import vllm as build
from ..core.model import ModelSpec
from ..core.placement import gpu_problems
from ..core.monitoring import objects
from ..core.monitoring.spec import AutoscalingSpec
from ._base import TOKEN_PREFIX, ComponentArgs, InputStr, child, custom_resource_kwargs, resource_kwargs


class ModelMonitoringArgs(ComponentArgs):
    prometheus_url: str
    serving_namespace: str
    """The serving namespace's name as text, for the autoscaler's query."""
    crds_ready: list[pulumi.Resource] = []
    """The releases that install the ServiceMonitor and ScaledObject CRDs."""
    autoscaling: Optional[AutoscalingSpec] = None
    """Queue-depth autoscaling; unset keeps replicas.min."""


class VllmModelArgs(ComponentArgs):
    namespace: InputStr
    model: ModelSpec
    pool: NodePool
    cache_claim: InputStr
    cache_ready: Optional[pulumi.Resource] = None
    cost: CostLabels
    config_path: str = "model"
    monitoring: Optional[ModelMonitoringArgs] = None
    """Scrape the model (ServiceMonitor) and, with autoscaling, scale it on its queue (ScaledObject)."""
    surge: bool = True
    """Whether the pool has room for one more pod at replicas.max (components.core.placement.surge_rollouts):
    rollouts then start each new pod before stopping an old one; otherwise they replace one at a time."""


class VllmModel(pulumi.ComponentResource):
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
        raise_if(gpu_problems(args.model, args.pool, args.config_path))
        raise_if(capacity_problems(args.model, args.pool, args.config_path))
        # What the config leaves unset (max_num_seqs, the start-up budget) comes from the capacity plan.
        model, plan = resolve(args.model, args.pool)
        for warning in plan.warnings:
            pulumi.log.warn(f"{args.config_path}: {warning}", resource=self)
        if not args.surge:
            pulumi.log.warn(f"{args.config_path}.replicas.max: pool '{args.pool.name}' has no room for an extra pod at "
                            "replicas.max, so rollouts stop one pod before starting its successor"
                            f"{' (a brief outage with a single replica)' if args.model.replicas.min == 1 else ''}; "
                            "raise the pool's maxNodes to roll without losing capacity", resource=self)
        args = args.model_copy(update={"model": model})
        labels = object_labels(build.COMPONENT, args.model.name, args.cost, model=args.model.name)
        account = self._create(k8s.core.v1.ServiceAccount, f"{name}-sa",
                               build.service_account(args.model, namespace=args.namespace, labels=labels))
        self._create_deployment(name, args, labels, account.metadata.name)
        service = self._create(k8s.core.v1.Service, f"{name}-service",
                               build.service(args.model, namespace=args.namespace, labels=labels))
        self._create(k8s.policy.v1.PodDisruptionBudget, f"{name}-pdb",
                     build.pod_disruption_budget(args.model, namespace=args.namespace, labels=labels))
        self.service_name = service.metadata.name
        self.service_host = pulumi.Output.concat(service.metadata.name, ".", service.metadata.namespace, ".svc.cluster.local")
        self.endpoint = pulumi.Output.concat("http://", self.service_host, f":{build.PORT}/v1")
        self.served_model_name = args.model.served_name
        if args.monitoring is not None:
            self._create_monitoring(name, args, labels)
        self.register_outputs({"service_name": self.service_name, "service_host": self.service_host, "endpoint": self.endpoint,
                               "served_model_name": self.served_model_name})

    def _create(self, resource: type, name: str, manifest: dict, **opts) -> pulumi.CustomResource:
        return resource(name, **resource_kwargs(manifest), opts=child(self, **opts))

    def _create_deployment(self, name: str, args: VllmModelArgs, labels: dict, account: pulumi.Output[str]) -> None:
        manifest = build.deployment(
            args.model, args.pool, namespace=args.namespace, labels=labels,
            image=build.image_for(args.model, args.pool), claim=args.cache_claim, service_account=account,
            surge=args.surge,
        )
        # `pulumi up` waits for the rollout; loading weights may take the whole startup budget.
        timeout = f"{build.startup_budget(args.model) + 600}s"
        autoscaled = args.monitoring is not None and args.monitoring.autoscaling is not None
        self._create(
            k8s.apps.v1.Deployment, f"{name}-deployment", manifest,
            depends_on=[args.cache_ready] if args.cache_ready is not None else None,
            custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
            # The autoscaler owns the replica count once it exists; `pulumi up` must not reset it.
            ignore_changes=["spec.replicas"] if autoscaled else None,
        )

    def _create_monitoring(self, name: str, args: VllmModelArgs, labels: dict) -> None:
        monitoring = args.monitoring
        assert monitoring is not None
        after = list(monitoring.crds_ready) or None
        monitor = objects.service_monitor(args.model, namespace=args.namespace, labels=labels)
        k8s.apiextensions.CustomResource(f"{name}-monitor", **custom_resource_kwargs(monitor), opts=child(self, depends_on=after))
        if monitoring.autoscaling is not None:
            scaled = objects.scaled_object(args.model, monitoring.autoscaling, namespace=args.namespace, labels=labels,
                                           prometheus_url=monitoring.prometheus_url,
                                           serving_namespace=monitoring.serving_namespace)
            k8s.apiextensions.CustomResource(f"{name}-autoscaler", **custom_resource_kwargs(scaled), opts=child(self, depends_on=after))
