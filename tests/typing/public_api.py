"""The public API as a user's Pulumi program writes it, type-checked by tests/unit/test_typing.py
(pyright, strict about calls): every exported component and its Args with documented arguments only."""

from __future__ import annotations

import pulumi

from components.capacity import estimate
from components.capacity.planning import plan_model
from components.core.cluster import NodePool, StorageClassInfo, SystemPlacement, Taint
from components.core.gpu_operator import GpuOperatorSpec
from components.core.labels import CostLabels
from components.core.model import ModelSpec
from components.kubernetes import (GpuOperator, GpuOperatorArgs, ModelCache, ModelCacheArgs, ModelMonitoringArgs,
                                   ServingNamespace, ServingNamespaceArgs, VllmModel, VllmModelArgs)

cost = CostLabels(team="search", environment="staging")
pool = NodePool(name="l40s", gpu="L40S", gpus_per_node=4, max_nodes=2, taints=[Taint(key="nvidia.com/gpu", value="true")])
model = ModelSpec.model_validate({
    "name": "qwen-8b", "repo": "Qwen/Qwen3-8B", "revision": "0" * 40, "pool": "l40s",
    "cache": {"storageClass": "efs", "size": "40Gi"}, "resources": {"cpu": "6", "memory": "28Gi"},
})
plan = plan_model(model, pool, "models[0]")
fits: bool = estimate("Qwen/Qwen3-8B", "L40S", max_model_len=32768).fits
system = SystemPlacement(node_selector={"llmstack.dev/pool": "system"})

operator = GpuOperator("gpu-operator", GpuOperatorArgs(
    spec=GpuOperatorSpec(time_slicing=None), driver_preinstalled=True, system=system, gpu_taints=pool.taints, cost=cost))
namespace = ServingNamespace("serving", ServingNamespaceArgs(name="llm", cost=cost))
cache = ModelCache("qwen-cache", ModelCacheArgs(
    namespace=namespace.namespace, model=model, pool=pool,
    storage_class=StorageClassInfo(name="efs", provisioner="efs.csi.aws.com", access_modes=["ReadWriteMany"]),
    scripts_configmap="llmstack-scripts", cost=cost))
served = VllmModel("qwen", VllmModelArgs(
    namespace=namespace.namespace, model=model, pool=pool, cache_claim=cache.claim_name, cache_ready=cache.populated,
    cost=cost, plan=plan, monitoring=ModelMonitoringArgs(prometheus_url="http://prometheus:9090", serving_namespace="llm")),
    pulumi.ResourceOptions(depends_on=[operator]))
service: pulumi.Output[str] = served.service_name

# Reusing what the cluster runs, and alerts that reach someone (docs/library.md).
from components.core.gateway.spec import CertManagerPart, TlsSpec  # noqa: E402
from components.core.manifests.network import Peer  # noqa: E402
from components.core.monitoring.spec import ExistingPrometheus, MonitoringReuse, MonitoringSpec  # noqa: E402
from components.kubernetes import Monitoring, MonitoringArgs  # noqa: E402

reused = MonitoringSpec(reuse=MonitoringReuse(
    prometheus=ExistingPrometheus(url="http://prometheus-operated.monitoring.svc:9090", namespace="monitoring",
                                  pod_labels={"app.kubernetes.io/name": "prometheus"},
                                  service_monitor_labels={"release": "kube-prometheus-stack"}),
    keda=True))
watching = Monitoring("monitoring", MonitoringArgs(spec=reused, system=system, cost=cost, serving_namespace="llm"))
url: str = watching.prometheus_url
scraped = ServingNamespace("scraped", ServingNamespaceArgs(name="llm2", cost=cost,
                                                           scrapers=Peer("monitoring", {"app.kubernetes.io/name": "prometheus"})))
tls = TlsSpec(cert_manager=CertManagerPart(install=False, namespace="cert-manager"))

from components.core.gateway.objects import proxy_peer  # noqa: E402
from components.core.gateway.spec import ExistingGateway, GatewaySpec, Tenant  # noqa: E402

shared = GatewaySpec(host="llm.example.com", tenants=[Tenant(name="app", models=["*"])],
                     reuse=ExistingGateway(namespace="gateways", name="shared", listener="https",
                                           envoy_gateway_version="v1.8.3", ai_gateway_version="v1.1.0"))
behind_shared = ServingNamespace("behind-shared", ServingNamespaceArgs(name="llm3", cost=cost,
                                                                       gateway=proxy_peer(shared, "llm3")))
routed = Monitoring("routed", MonitoringArgs(spec=reused, system=system, cost=cost, serving_namespace="llm3",
                                             serving_namespace_output=behind_shared.namespace))

# A GKE platform, and its DCGM exporter scraped by the monitoring layer (docs/library.md).
from components.gcp.platform import GkePlatform, GkePlatformArgs  # noqa: E402
from components.gcp.spec import GkeClusterSpec  # noqa: E402

gke = GkePlatform("gke", GkePlatformArgs(spec=GkeClusterSpec.model_validate({
    "type": "gke", "name": "llm", "project": "acme-llm-prod", "region": "us-central1", "zones": ["us-central1-a"],
    "gpuPools": [{"name": "l4", "machineType": "g2-standard-12", "maxNodes": 2}]}), cost=cost))
gpu_metrics = gke.platform.gpu_metrics
gke_monitoring = Monitoring("gke-monitoring", MonitoringArgs(
    spec=MonitoringSpec(), system=gke.platform.cluster.system, cost=cost, serving_namespace="llm",
    scrape_targets=[gpu_metrics] if gpu_metrics is not None else []))

# An AKS platform (docs/library.md).
from components.azure.platform import AksPlatform, AksPlatformArgs  # noqa: E402
from components.azure.spec import AksClusterSpec  # noqa: E402

aks = AksPlatform("aks", AksPlatformArgs(spec=AksClusterSpec.model_validate({
    "type": "aks", "name": "llm", "region": "eastus",
    "gpuPools": [{"name": "a100", "vmSize": "Standard_NC24ads_A100_v4", "maxNodes": 2}]}), cost=cost))
aks_kubeconfig: pulumi.Output[str] = aks.kubeconfig
