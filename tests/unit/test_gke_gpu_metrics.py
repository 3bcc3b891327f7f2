"""The DCGM exporter on GKE, read against NVIDIA's chart 4.8.2 (values and templates copied under
tests/data/charts): every value exists in the chart, what Helm merges stays admissible, the GPU
alerts' series and labels are there, and the ServiceMonitor selects the Service the chart renders."""

from __future__ import annotations

import re

import yaml

from components.core.catalog import metrics
from components.core.catalog.charts import DCGM_EXPORTER
from components.core.gpu_operator import GpuOperatorSpec, dcgm_exporter_values as operator_exporter_values
from components.gcp.builders import gpu_node_ceiling, node_pools
from components.gcp.gpu_metrics import METRICS_VOLUME, SCRAPE_TARGET, dcgm_exporter_values, priority_quota
from components.gcp.spec import GPU_TAINT, GkeClusterSpec
from tests.unit.test_chart_values import CHARTS, chart_values, check, merged
from tests.unit.test_gke_spec import BASE

VALUES = dcgm_exporter_values([GPU_TAINT])


def test_every_value_exists_in_the_chart():
    """customMetrics is shown only as a comment in values.yaml; the metrics ConfigMap template reads it."""
    values = {k: v for k, v in VALUES.items() if k != "customMetrics"}
    assert check(DCGM_EXPORTER, values) == []
    assert check(DCGM_EXPORTER, {**values, "serviceMonitr": {}}) == ["serviceMonitr"]
    template = (CHARTS / "dcgm-exporter-4.8.2-templates-metrics-configmap.yaml").read_text()
    assert "{{- if .Values.customMetrics }}" in template and "name: exporter-metrics-config-map" in template


def test_the_merged_security_context_is_admissible():
    """Helm lays our map over the chart's; the API server refuses privileged containers that also
    set allowPrivilegeEscalation false, which the chart's default does."""
    context = merged(chart_values(DCGM_EXPORTER)["securityContext"], VALUES["securityContext"])
    assert context["privileged"] is True
    assert context.get("allowPrivilegeEscalation") is not False


def test_the_collectors_mount_survives_replacing_the_chart_list():
    """extraVolumeMounts replaces the chart's list (Helm does not merge lists): its collectors mount
    is kept, on the chart's own volume, at the path the chart's arguments read."""
    chart = chart_values(DCGM_EXPORTER)
    (default_mount,) = chart["extraVolumeMounts"]
    assert default_mount in VALUES["extraVolumeMounts"]
    assert METRICS_VOLUME in {v["name"] for v in chart["extraConfigMapVolumes"]}
    assert chart["arguments"] == ["-f", default_mount["mountPath"]]
    mounts = {m["name"] for m in VALUES["extraVolumeMounts"]}
    assert mounts - {METRICS_VOLUME} <= {v["name"] for v in VALUES["extraHostVolumes"]}


def test_the_alerts_series_are_collected_as_under_the_gpu_operator():
    """The same collectors and Xid window as the GPU Operator's exporter on EKS: the GPU alerts and
    dashboard read one set of names on both clouds."""
    rows = [line.split(",")[0].strip() for line in VALUES["customMetrics"].splitlines() if line and not line.startswith("#")]
    assert metrics.GPU_XID_COUNT.name in rows and metrics.GPU_XID.name in rows and metrics.GPU_UTIL.name in rows
    operator = operator_exporter_values(GpuOperatorSpec())
    assert VALUES["customMetrics"] == operator["config"]["data"]
    (xid,) = operator["env"]
    assert xid in VALUES["extraEnv"]


def test_the_service_monitor_selects_the_service_the_chart_renders():
    helpers = (CHARTS / "dcgm-exporter-4.8.2-templates-_helpers.tpl").read_text()
    selector = re.search(r'define "dcgm-exporter.selectorLabels".*?\n(.*?)\{\{- end', helpers, re.S).group(1)
    rendered = {}
    for line in selector.strip().splitlines():
        key, template = (part.strip() for part in line.split(":", 1))
        # The release is named after the chart (helm.release) and no nameOverride is set.
        rendered[key] = DCGM_EXPORTER.name if template in ('{{ include "dcgm-exporter.name" . }}', "{{ .Release.Name }}") else None
    assert "nameOverride" not in VALUES and chart_values(DCGM_EXPORTER)["nameOverride"] == ""
    assert SCRAPE_TARGET.selector.items() <= rendered.items()
    service = (CHARTS / "dcgm-exporter-4.8.2-templates-service.yaml").read_text()
    assert f'- name: "{SCRAPE_TARGET.port}"' in service
    assert SCRAPE_TARGET.namespace == DCGM_EXPORTER.namespace


def test_the_priority_quota_admits_one_exporter_per_gpu_node_and_upgrade_surge():
    spec = GkeClusterSpec.model_validate(BASE)
    plans = node_pools(spec)
    ceiling = gpu_node_ceiling(plans)
    gpu_plans = [p for p in plans if p.accelerator]
    assert ceiling == sum(p.max_nodes for p in gpu_plans) + sum(len(p.locations) for p in gpu_plans)
    quota = priority_quota(DCGM_EXPORTER.namespace, ceiling, {})
    (expression,) = quota["spec"]["scopeSelector"]["matchExpressions"]
    assert VALUES["priorityClassName"] in expression["values"]
    assert yaml.safe_load(yaml.safe_dump(quota))["spec"]["hard"] == {"pods": str(ceiling)}


def test_the_node_label_the_gpu_alerts_join_on_is_the_node_name():
    """The exporter's Hostname label is $NODE_NAME when set (internal/pkg/hostname/hostname.go at the
    tag), and the chart's DaemonSet sets it from spec.nodeName: GPU alerts name the Kubernetes node."""
    daemonset = (CHARTS / "dcgm-exporter-4.8.2-templates-daemonset.yaml").read_text()
    assert re.search(r"- name: NODE_NAME\s+valueFrom:\s+fieldRef:\s+fieldPath: spec.nodeName", daemonset)
    assert metrics.GPU_NODE_LABEL == "Hostname"
    assert "NODE_NAME" not in {e["name"] for e in VALUES["extraEnv"]}, "ours would come second and could differ"
