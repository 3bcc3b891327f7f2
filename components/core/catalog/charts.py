"""Helm charts the stack installs, each pinned to one version. A bump is a reviewed diff here and in
the plan snapshots. The values each chart accepts were read from that version's values.yaml, kept
for tests under tests/data/charts/ (see the README there for where each came from)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    name: str
    version: str
    repository: str
    namespace: str

    @property
    def is_oci(self) -> bool:
        return self.repository.startswith("oci://")

    @property
    def reference(self) -> str:
        """What Helm is given as the chart: an OCI reference, or the name within `repository`."""
        return f"{self.repository}/{self.name}" if self.is_oci else self.name

    @property
    def values_file(self) -> str:
        """The chart's own values.yaml of this version, under tests/data/charts/."""
        return f"{self.name}-{self.version}-values.yaml"


# NVIDIA/gpu-operator deployments/gpu-operator, tag v26.7.0.
GPU_OPERATOR = Chart("gpu-operator", "v26.7.0", "https://helm.ngc.nvidia.com/nvidia", "gpu-operator")
# kubernetes/autoscaler charts/cluster-autoscaler, chart 9.59.0.
CLUSTER_AUTOSCALER = Chart("cluster-autoscaler", "9.59.0", "https://kubernetes.github.io/autoscaler", "kube-system")
# prometheus-community/helm-charts charts/kube-prometheus-stack 88.5.3 (prometheus-operator v0.93.1;
# subcharts grafana 12.11.1, kube-state-metrics 8.4.0, prometheus-node-exporter 4.56.1).
KUBE_PROMETHEUS_STACK = Chart("kube-prometheus-stack", "88.5.3", "https://prometheus-community.github.io/helm-charts", "monitoring")
# kedacore/charts keda 2.20.2 (KEDA 2.20.2).
KEDA = Chart("keda", "2.20.2", "https://kedacore.github.io/charts", "keda")
# envoyproxy/gateway charts/gateway-helm, tag v1.8.3 (commit 94850d43; Gateway API v1.5.1 experimental
# channel CRDs in its `crds` subchart, Envoy distroless-v1.38.3). Published as an OCI chart.
ENVOY_GATEWAY = Chart("gateway-helm", "v1.8.3", "oci://docker.io/envoyproxy", "envoy-gateway-system")
# envoyproxy/ai-gateway manifests/charts/{ai-gateway-crds-helm,ai-gateway-helm}, tag v1.1.0 (commit c217da8a),
# which requires Envoy Gateway v1.8.1+ (site/docs/compatibility.md). Published as OCI charts.
AI_GATEWAY_CRDS = Chart("ai-gateway-crds-helm", "v1.1.0", "oci://docker.io/envoyproxy", "envoy-ai-gateway-system")
AI_GATEWAY = Chart("ai-gateway-helm", "v1.1.0", "oci://docker.io/envoyproxy", "envoy-ai-gateway-system")
# cert-manager/cert-manager deploy/charts/cert-manager, tag v1.21.1 (commit 24e33194; Kubernetes 1.33-1.36),
# installed through pulumi-kubernetes-cert-manager 0.2.0, which pins no version of its own.
CERT_MANAGER = Chart("cert-manager", "v1.21.1", "https://charts.jetstack.io", "cert-manager")
# kubernetes-sigs/nfs-subdir-external-provisioner charts/nfs-subdir-external-provisioner, tag
# nfs-subdir-external-provisioner-4.0.18 (commit c2a2d5d5; image v4.0.2): the GKE and AKS model caches'
# directory per claim on one Filestore instance or Azure Files share (components/gcp/DESIGN.md).
NFS_SUBDIR_PROVISIONER = Chart("nfs-subdir-external-provisioner", "4.0.18",
                               "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/", "nfs-provisioner")
# NVIDIA/dcgm-exporter deployment/, tag 4.5.3-4.8.2 (commit 691c9276; chart 4.8.2, image
# nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless): GPU metrics on GKE, whose managed driver
# and device plugin leave no GPU Operator to run it (components/gcp/DESIGN.md).
DCGM_EXPORTER = Chart("dcgm-exporter", "4.8.2", "https://nvidia.github.io/dcgm-exporter/helm-charts", "dcgm-exporter")
# kedacore/charts http-add-on (chart keda-add-ons-http 0.15.0, commit c4b92e9e; images
# ghcr.io/kedacore/http-add-on-{operator,scaler,interceptor}:0.15.0, app tag v0.15.0 4ea8a863): the
# interceptor that holds requests for a model at zero replicas while KEDA wakes it (core/keda_http.py).
# Upstream's end-to-end tests for v0.15.0 run it against KEDA 2.20.0 (its Makefile KEDA_VERSION).
KEDA_HTTP_ADD_ON = Chart("keda-add-ons-http", "0.15.0", "https://kedacore.github.io/charts", "keda-http")
# The oldest releases of a cluster's own gateway the stack attaches to (gateway.reuse): AI Gateway
# v1.1.0 is the first whose v1beta1 API the routes use (CRDs in tests/data/crds), and it requires
# Envoy Gateway v1.8.1+ (its site/docs/compatibility.md); the policies are validated against v1.8.3.
REUSED_AI_GATEWAY_MINIMUM = "v1.1.0"
REUSED_ENVOY_GATEWAY_MINIMUM = "v1.8.1"

CHARTS = (GPU_OPERATOR, CLUSTER_AUTOSCALER, KUBE_PROMETHEUS_STACK, KEDA, ENVOY_GATEWAY, AI_GATEWAY_CRDS, AI_GATEWAY, CERT_MANAGER,
          NFS_SUBDIR_PROVISIONER, DCGM_EXPORTER, KEDA_HTTP_ADD_ON)
# Namespaces Kubernetes itself owns (kube-node-lease holds node heartbeats).
KUBERNETES_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def reserved_namespaces() -> list[str]:
    """Namespaces that are not the serving layer's to take: Kubernetes' own and every chart's."""
    return sorted({*KUBERNETES_NAMESPACES, *(chart.namespace for chart in CHARTS)})
