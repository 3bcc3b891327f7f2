"""GPU metrics on GKE: NVIDIA's DCGM exporter, pinned, on every GPU node.

GKE installs the driver and runs its own device plugin (builders.py: `gpu_driver_version=DEFAULT`),
so no GPU Operator runs here to bring the exporter. GKE's managed DCGM package is left off
(cluster.py `monitoring_config`): it reports to Managed Service for Prometheus, and two DCGM host
engines on one node would compete for the profiling metrics. This exporter feeds the stack's own
Prometheus the same series, with the same collectors (catalog/metrics.py) and Xid count window, as
the GPU Operator's exporter does on EKS, so the GPU dashboard and alerts read one set of names.

The GKE specifics follow Google's own exporter example (GoogleCloudPlatform/prometheus-engine
`examples/nvidia-dcgm/exporter.yaml`): the host's driver directory `/home/kubernetes/bin/nvidia`
mounted at `/usr/local/nvidia`, `LD_LIBRARY_PATH` pointing into it, a privileged container, GPU
devices named by device name (GKE's device plugin hands out `nvidia0`, not UUIDs), and nodes chosen
by GKE's `cloud.google.com/gke-accelerator` label. See DESIGN.md.
"""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from ..core.catalog import metrics
from ..core.catalog.charts import DCGM_EXPORTER
from ..core.cluster import Taint
from ..core.gpu_operator import XID_WINDOW_ENV
from ..core.labels import CostLabels, platform_labels
from ..core.monitoring.objects import ScrapeTarget
from ..kubernetes._base import ComponentArgs, resource_kwargs, waits_for
from ..kubernetes.helm import chart_namespace, release
from ._base import TOKEN_PREFIX

ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
"""Set by GKE on every node with GPUs, from the node pool's accelerator."""
DRIVER_HOST_DIR = "/home/kubernetes/bin/nvidia"
"""Where GKE's driver installer puts the driver's libraries and tools on the node."""
DRIVER_MOUNT = "/usr/local/nvidia"
PRIORITY_CLASS = "system-node-critical"
"""The chart's default: a node's GPU metrics outlive the workloads on it under pressure."""
METRICS_VOLUME = "exporter-metrics-volume"
"""The chart's own volume of the collectors list; `extraVolumeMounts` replaces the chart's list,
so its mount is repeated beside the driver's."""

# Selector labels the chart gives its Service (deployment/templates/_helpers.tpl, selectorLabels),
# for a release named after the chart, as helm.release names every release.
SCRAPE_TARGET = ScrapeTarget(
    name="dcgm-exporter", namespace=DCGM_EXPORTER.namespace,
    selector={"app.kubernetes.io/name": DCGM_EXPORTER.name, "app.kubernetes.io/instance": DCGM_EXPORTER.name},
    port="metrics",
)


def dcgm_exporter_values(gpu_taints: list[Taint]) -> dict:
    """dcgm-exporter 4.8.2 values (keys checked against its values.yaml in tests)."""
    return {
        "customMetrics": metrics.dcgm_collectors_csv(),
        "priorityClassName": PRIORITY_CLASS,
        # Laid over the chart's (Helm merges maps): privileged reaches /dev/nvidia*, which no GPU request
        # mounts for it, and the API server refuses privileged with allowPrivilegeEscalation false.
        "securityContext": {"privileged": True, "allowPrivilegeEscalation": True},
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": ACCELERATOR_LABEL, "operator": "Exists"}]}]}}},
        "tolerations": [{"key": t.key, "operator": "Exists", "effect": t.effect} for t in gpu_taints],
        "extraHostVolumes": [{"name": "nvidia-install-dir-host", "hostPath": DRIVER_HOST_DIR}],
        "extraVolumeMounts": [
            {"name": METRICS_VOLUME, "mountPath": "/etc/dcgm-exporter/default-counters.csv", "subPath": "default-counters.csv"},
            {"name": "nvidia-install-dir-host", "mountPath": DRIVER_MOUNT, "readOnly": True},
        ],
        "extraEnv": [
            {"name": "LD_LIBRARY_PATH", "value": f"{DRIVER_MOUNT}/lib64"},
            {"name": "DCGM_EXPORTER_KUBERNETES_GPU_ID_TYPE", "value": "device-name"},
            {"name": XID_WINDOW_ENV, "value": str(metrics.XID_COUNT_WINDOW_MS)},
        ],
        # The stack's monitoring layer makes the ServiceMonitor once the Prometheus Operator's CRDs exist.
        "serviceMonitor": {"enabled": False},
    }


def priority_quota(namespace: str, max_pods: int, labels: dict) -> dict:
    """GKE admits pods of the system-critical priority classes outside kube-system only up to a
    ResourceQuota for them in their namespace (NVIDIA's GKE guide ships one for its operator)."""
    return {
        "apiVersion": "v1", "kind": "ResourceQuota",
        "metadata": {"name": "system-critical-pods", "namespace": namespace, "labels": labels},
        "spec": {
            "hard": {"pods": str(max_pods)},
            "scopeSelector": {"matchExpressions": [
                {"operator": "In", "scopeName": "PriorityClass", "values": ["system-node-critical", "system-cluster-critical"]}]},
        },
    }


class GkeGpuMetricsArgs(ComponentArgs):
    gpu_taints: list[Taint]
    max_gpu_nodes: int
    """GPU nodes the pools may reach together, surge nodes of upgrades included: one exporter pod each."""
    cost: CostLabels


class GkeGpuMetrics(pulumi.ComponentResource):
    """`GkeGpuMetrics(name, GkeGpuMetricsArgs(...), opts)`: the DCGM exporter on GKE's GPU nodes;
    `target` is what the monitoring layer scrapes."""

    target: ScrapeTarget = SCRAPE_TARGET
    release: pulumi.Resource

    def __init__(self, name: str, args: GkeGpuMetricsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:GkeGpuMetrics", name, None, opts)
        labels = platform_labels(args.cost)
        # The exporter runs privileged with a host path: this namespace cannot be "restricted".
        namespace = chart_namespace(name, DCGM_EXPORTER, labels, self, pod_security="privileged")
        quota = k8s.core.v1.ResourceQuota(
            f"{name}-priority-quota",
            **resource_kwargs(priority_quota(DCGM_EXPORTER.namespace, args.max_gpu_nodes, labels)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]))
        # The release waits for its quota, and for what the component waits for (the system pool).
        self.release = release(f"{name}-release", DCGM_EXPORTER, namespace.metadata.name, dcgm_exporter_values(args.gpu_taints),
                               self, opts=pulumi.ResourceOptions(depends_on=[quota, *waits_for(opts)]))
        self.register_outputs({})
