"""The stack program: config -> platform -> serving namespace -> monitoring -> models -> gateway -> exports."""

from __future__ import annotations

from typing import Optional

import pulumi

from components.aws import EksPlatform, EksPlatformArgs
from components.aws.spec import EksClusterSpec
from components.gcp.spec import GkeClusterSpec
from components.azure.spec import AksClusterSpec
from components.capacity.stack import StackPlan
from components.core import endpoint_picker, keda_http
from components.core.labels import CostLabels
from components.core.catalog.charts import KUBE_PROMETHEUS_STACK
from components.core.gateway import objects as gateway_objects
from components.core.gateway.spec import SelfSignedIssuer
from components.core.manifests import vllm as vllm_manifests
from components.core.manifests.network import Peer
from components.core.monitoring.alerts import alerted_model
from components.core.monitoring.spec import AutoscalingSpec
from components.core.monitoring.values import PROMETHEUS_POD_LABELS
from components.kubernetes import (
    ModelCache, ModelCacheArgs, ServingNamespace, ServingNamespaceArgs, VllmModel, VllmModelArgs,
)
from components.kubernetes.gateway import Gateway, GatewayArgs, RoutedModel
from components.kubernetes.monitoring import Monitoring, MonitoringArgs
from components.kubernetes.vllm_model import ModelMonitoringArgs
from components.platform import ExistingCluster, ExistingClusterArgs, Platform

from .config import StackConfig, load_from_pulumi


def build_platform(config: StackConfig) -> Platform:
    cluster = config.cluster
    if isinstance(cluster, EksClusterSpec):
        eks = EksPlatform("aws", EksPlatformArgs(spec=cluster, cost=_cost(config)))
        pulumi.export("clusterName", eks.cluster_name)
        pulumi.export("kubeconfig", eks.kubeconfig)
        return eks.platform
    if isinstance(cluster, GkeClusterSpec):
        # Imported here: pulumi-gcp takes seconds to load, and only GKE stacks need it.
        from components.gcp.platform import GkePlatform, GkePlatformArgs

        gke = GkePlatform("gcp", GkePlatformArgs(spec=cluster, cost=_cost(config)))
        pulumi.export("clusterName", gke.cluster_name)
        pulumi.export("kubeconfig", gke.kubeconfig)
        return gke.platform
    if isinstance(cluster, AksClusterSpec):
        # Imported here: pulumi-azure-native takes a second to load, and only AKS stacks need it.
        from components.azure.platform import AksPlatform, AksPlatformArgs

        aks = AksPlatform("azure", AksPlatformArgs(spec=cluster, cost=_cost(config)))
        pulumi.export("clusterName", aks.cluster_name)
        pulumi.export("kubeconfig", aks.kubeconfig)
        return aks.platform
    args = ExistingClusterArgs(cluster=cluster.contract(), context=cluster.context, kubeconfig=cluster.kubeconfig)
    return ExistingCluster("cluster", args).platform


def _monitored(config: StackConfig) -> bool:
    return config.monitoring is not None and config.monitoring.enabled


def build_monitoring(config: StackConfig, plan: StackPlan, platform: Platform,
                     namespace: ServingNamespace) -> Optional[Monitoring]:
    if config.monitoring is None or not _monitored(config):
        return None
    models = [alerted_model(model.model, model.cache_class, model.cold_start.seconds if model.cold_start else None)
              for model in plan.models.values() if model.cache_class]
    monitoring = Monitoring("monitoring", MonitoringArgs(
        spec=config.monitoring, system=platform.cluster.system, cost=_cost(config),
        serving_namespace=config.serving.namespace, serving_namespace_output=namespace.namespace,
        models=models, grafana_admin_password=config.grafana_admin_password,
        alerting_secrets=config.alerting_secrets,
        scrape_targets=[platform.gpu_metrics] if platform.gpu_metrics is not None else [],
    ), platform.resource_options())
    if monitoring.grafana_admin_password is not None:
        pulumi.export("grafanaAdminPassword", monitoring.grafana_admin_password)
    return monitoring


def _model_monitoring(config: StackConfig, model, monitoring: Optional[Monitoring]) -> Optional[ModelMonitoringArgs]:
    if monitoring is None:
        return None
    autoscaling = model.autoscaling or (AutoscalingSpec() if model.replicas.max > model.replicas.min else None)
    existing = config.monitoring.reuse.prometheus if config.monitoring is not None else None
    return ModelMonitoringArgs(prometheus_url=monitoring.prometheus_url, serving_namespace=config.serving.namespace,
                               crds_ready=monitoring.crds_ready, autoscaling=autoscaling,
                               service_monitor_labels=existing.service_monitor_labels if existing is not None else {})


def _network(config: StackConfig, plan: StackPlan) -> dict:
    """Who may reach the serving namespace's pods: the gateway's Envoy pods (KEDA's interceptor, for
    models that rest at zero), Prometheus, ACME solvers."""
    resting = sorted(name for name, model in plan.models.items() if model.cold_start is not None)
    return {
        "gateway": gateway_objects.proxy_peer(config.gateway, config.serving.namespace),
        "scrapers": _scrapers(config) if _monitored(config) else None,
        "acme_solver": (gateway_objects.ACME_SOLVER_LABELS, gateway_objects.ACME_SOLVER_PORT) if config.gateway.http01 else None,
        "resting": resting,
        "interceptor": keda_http.INTERCEPTOR if resting else None,
        "pickers": endpoint_picker.gateway_routes_pools(config.gateway)
        and any(endpoint_picker.routed_by_picker(m.replicas.max) for m in config.models),
    }


def _scrapers(config: StackConfig) -> Peer:
    """The Prometheus pods that scrape the models: the stack's, or the reused stack's."""
    existing = config.monitoring.reuse.prometheus if config.monitoring is not None else None
    if existing is not None:
        return Peer(existing.namespace, dict(existing.pod_labels))
    return Peer(KUBE_PROMETHEUS_STACK.namespace, PROMETHEUS_POD_LABELS)


def build_namespace(config: StackConfig, plan: StackPlan, platform: Platform) -> ServingNamespace:
    return ServingNamespace("serving", ServingNamespaceArgs(
        name=config.serving.namespace, cost=_cost(config), hf_token=config.hf_token, **_network(config, plan)),
        platform.resource_options())


def build_serving(config: StackConfig, plan: StackPlan, platform: Platform, namespace: ServingNamespace,
                  monitoring: Optional[Monitoring] = None) -> dict[str, VllmModel]:
    cost = _cost(config)
    opts = platform.resource_options()
    served = {}
    for index, model in enumerate(config.models):
        planned, path = plan.models[model.name], f"models[{index}]"
        assert planned.cache_class is not None, "checked by config validation"
        scraping = _model_monitoring(config, model, monitoring)
        cache = ModelCache(f"{model.name}-cache", ModelCacheArgs(
            namespace=namespace.namespace, model=model, pool=planned.pool, storage_class=planned.cache_class,
            placement=platform.cluster.system, scripts_configmap=namespace.scripts_configmap,
            token_secret=namespace.hf_token_secret, cost=cost, config_path=path,
        ), opts)
        served[model.name] = VllmModel(model.name, VllmModelArgs(
            namespace=namespace.namespace, model=model, pool=planned.pool, plan=planned, cache_claim=cache.claim_name,
            cache_ready=cache.populated, cost=cost, config_path=path, monitoring=scraping,
        ), opts)
    return served


def build_gateway(config: StackConfig, plan: StackPlan, platform: Platform, namespace: ServingNamespace,
                  served: dict[str, VllmModel], monitoring: Optional[Monitoring] = None) -> Gateway:
    existing = config.monitoring.reuse.prometheus if config.monitoring is not None else None
    models = [RoutedModel(name=name, served_name=model.served_model_name, port=vllm_manifests.PORT,
                          cold_start=plan.models[name].cold_start, max_num_seqs=plan.models[name].max_num_seqs,
                          replicas_max=plan.models[name].model.replicas.max)
              for name, model in served.items()]
    gateway = Gateway("gateway", GatewayArgs(
        spec=config.gateway, system=platform.cluster.system,
        cluster_load_balancer_annotations=platform.cluster.load_balancer_annotations,
        namespace=namespace.namespace, models=models, cost=_cost(config),
        cloudflare_api_token=config.cloudflare_api_token,
        serving_namespace=config.serving.namespace,
        keda_ready=list(monitoring.crds_ready) if monitoring is not None else [],
        scrapers=_scrapers(config) if _monitored(config) else None,
        monitor_labels=dict(existing.service_monitor_labels) if existing is not None else {},
    ), platform.resource_options())
    pulumi.export("url", gateway.url)
    pulumi.export("apiKeys", gateway.api_keys)
    pulumi.export("howToGetAKey", "pulumi stack output apiKeys --show-secrets --json | jq -r '.<tenant>'")
    if config.gateway.reuse is None:
        pulumi.export("gatewayService", f"{gateway_objects.ENVOY_GATEWAY_NAMESPACE}/{gateway_objects.SERVICE_NAME}")
    elif config.gateway.issues_certificate:
        # For the reused Gateway's owner: its listener names this Secret (a ReferenceGrant allows it).
        pulumi.export("gatewayListenerCertificate", f"{config.serving.namespace}/{gateway_objects.TLS_SECRET}")
    if config.gateway.issues_certificate and isinstance(config.gateway.tls.issuer, SelfSignedIssuer):
        pulumi.export("howToTrustTheCa", gateway_objects.ca_certificate_command(config.gateway.tls.cert_manager.namespace))
    return gateway


def _cost(config: StackConfig) -> CostLabels:
    return CostLabels(team=config.team, environment=config.environment)


def main() -> None:
    stack = load_from_pulumi()
    config = stack.config
    platform = build_platform(config)
    namespace = build_namespace(config, stack.plan, platform)
    monitoring = build_monitoring(config, stack.plan, platform, namespace)
    served = build_serving(config, stack.plan, platform, namespace, monitoring)
    build_gateway(config, stack.plan, platform, namespace, served, monitoring)
    pulumi.export("namespace", config.serving.namespace)
    pulumi.export("endpoints", {name: model.endpoint for name, model in served.items()})
    pulumi.export("servedModels", {name: model.served_model_name for name, model in served.items()})
