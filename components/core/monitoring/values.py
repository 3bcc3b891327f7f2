"""Chart values of the monitoring layer: kube-prometheus-stack and KEDA, from typed settings.
Every key exists in the pinned charts' values.yaml (tests/unit/test_chart_values.py checks)."""

from __future__ import annotations

from typing import Any, Optional

from ..cluster import SystemPlacement
from . import alertmanager
from .alerts import REPLACED_CHART_RULES
from .spec import MonitoringSpec

RELEASE_NAME = "llmstack"
"""fullnameOverride of kube-prometheus-stack: its Prometheus Service is `llmstack-prometheus`."""
PROMETHEUS_PORT = 9090
# prometheus-operator labels every pod of a Prometheus with its name (pkg/prometheus
# PrometheusNameLabelName); the Prometheus of kube-prometheus-stack is `<fullname>-prometheus`.
PROMETHEUS_POD_LABELS = {"operator.prometheus.io/name": f"{RELEASE_NAME}-prometheus"}
GRAFANA_USER_KEY = "admin-user"
GRAFANA_PASSWORD_KEY = "admin-password"
DASHBOARD_FOLDER_ANNOTATION = "grafana_folder"
DASHBOARD_LABEL, DASHBOARD_LABEL_VALUE = "grafana_dashboard", "1"


def prometheus_url(namespace: str) -> str:
    return f"http://{RELEASE_NAME}-prometheus.{namespace}.svc:{PROMETHEUS_PORT}"


def kube_prometheus_stack_values(spec: MonitoringSpec, system: SystemPlacement, grafana_secret: Any,
                                 alertmanager_config: Any = None, alerting_secret: Any = None) -> dict:
    """Prometheus, Alertmanager, Grafana and the exporters; controllers on the system pool, node
    exporter on every node (its chart default tolerates NoSchedule taints, GPU nodes included).

    Prometheus selects every ServiceMonitor, PodMonitor and PrometheusRule in every namespace (not
    only the chart's own), so the objects of each model are found without extra labels. Default rules
    that would fire on every model start-up are disabled; alerts.py covers what they covered.

    `alertmanager_config` replaces the chart's Alertmanager configuration (alertmanager.py builds it;
    default: receivers and routes of `spec.alerting`, no secrets); `alerting_secret` names the Secret of
    the receivers' secrets, mounted into the Alertmanager pods.
    """
    placement = system.scheduling()
    volume: dict = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": spec.storage_size}}}
    if spec.storage_class:
        volume["storageClassName"] = spec.storage_class
    return {
        "fullnameOverride": RELEASE_NAME,
        "crds": {"enabled": True},
        "defaultRules": {"disabled": {rule: True for rule in REPLACED_CHART_RULES}},
        "prometheus": {"prometheusSpec": {
            **placement,
            "retention": spec.retention,
            "retentionSize": spec.retention_size,
            "serviceMonitorSelectorNilUsesHelmValues": False,
            "podMonitorSelectorNilUsesHelmValues": False,
            "ruleSelectorNilUsesHelmValues": False,
            "storageSpec": {"volumeClaimTemplate": {"spec": volume}},
        }},
        "alertmanager": {
            "config": alertmanager_config if alertmanager_config is not None else alertmanager.alertmanager_config(spec.alerting),
            "alertmanagerSpec": {**placement, **({"secrets": [alerting_secret]} if alerting_secret is not None else {})},
        },
        "prometheusOperator": placement,
        "kube-state-metrics": placement,
        "grafana": {
            **placement,
            "admin": {"existingSecret": grafana_secret, "userKey": GRAFANA_USER_KEY, "passwordKey": GRAFANA_PASSWORD_KEY},
            "sidecar": {"dashboards": {"enabled": True, "searchNamespace": "ALL",
                                       "label": DASHBOARD_LABEL, "labelValue": DASHBOARD_LABEL_VALUE,
                                       "folderAnnotation": DASHBOARD_FOLDER_ANNOTATION,
                                       "provider": {"foldersFromFilesStructure": True}}},
        },
    }


def keda_values(system: SystemPlacement, pod_identity: Optional[dict] = None) -> dict:
    """KEDA's operator, metrics server and webhooks on the system pool; its CRDs come with it."""
    values = {"crds": {"install": True}, **system.scheduling()}
    if pod_identity:
        values["podIdentity"] = pod_identity
    return values
