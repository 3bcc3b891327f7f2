"""Custom resources of the monitoring layer, built as plain manifests: the ServiceMonitor that
scrapes a model, the PrometheusRule with the alerts, and the KEDA ScaledObject that scales a model
on its request queue. Validated in tests against the CRDs of the pinned operator versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..cold_start import ColdStart
from ..keda_http import SCALER_ADDRESS
from ..labels import selector_labels
from ..manifests.vllm import COMPONENT, PORT_NAME
from ..model import ModelSpec
from . import queries
from .spec import AutoscalingSpec

SCRAPE_INTERVAL = "15s"


def service_monitor(model: ModelSpec, *, namespace: Any, labels: dict) -> dict:
    """Scrapes the model's Service on its named port; the Prometheus Operator adds the namespace,
    service, pod and container labels the alerts and the autoscaler filter on."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": model.name, "namespace": namespace, "labels": labels},
        "spec": {
            "selector": {"matchLabels": selector_labels(COMPONENT, model.name)},
            "endpoints": [{"port": PORT_NAME, "path": "/metrics", "interval": SCRAPE_INTERVAL}],
        },
    }


@dataclass(frozen=True)
class ScrapeTarget:
    """A metrics Service a platform runs outside the serving namespace (the DCGM exporter on GKE),
    for the monitoring layer to scrape once the Prometheus Operator's CRDs exist."""

    name: str
    namespace: str
    selector: dict[str, str] = field(default_factory=dict)
    """Labels of the Service (not its pods) to scrape."""
    port: str = "metrics"
    """The Service port's name."""


def target_service_monitor(target: ScrapeTarget, *, labels: dict) -> dict:
    """Scrapes the target's Service in its own namespace; Prometheus adds the namespace, service and
    pod labels, and the exporter's own labels (the DCGM exporter's Hostname) are kept."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": target.name, "namespace": target.namespace, "labels": labels},
        "spec": {
            "selector": {"matchLabels": dict(target.selector)},
            "endpoints": [{"port": target.port, "path": "/metrics", "interval": SCRAPE_INTERVAL}],
        },
    }


def prometheus_rule(name: str, *, namespace: Any, labels: dict, groups: list[dict]) -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"groups": groups},
    }


def scaled_object(model: ModelSpec, autoscaling: AutoscalingSpec, *, namespace: Any, labels: dict,
                  prometheus_url: str, serving_namespace: str, cold_start: Optional[ColdStart] = None) -> dict:
    """Replicas follow the queue: ceil(waiting / waitingPerReplica), between replicas.min and .max.

    Scale-up reacts at once (two pods a minute at most: each needs a GPU node and minutes to load);
    scale-down waits for the stabilization window and removes one pod per five minutes, so the
    termination grace and vLLM's own drain finish streaming responses.

    At zero no pod reports a queue, so a model that rests there (`cold_start`, replicas.min 0) also
    scales on KEDA's HTTP add-on: its InterceptorRoute (same name, same namespace) counts the requests
    in flight through the interceptor, held ones included, and the scaler pushes "active" as soon as
    there is one, waking the model. It scales back to zero only after `cooldownPeriod` (the idle
    window) with no request in flight at all, so a stream in progress is never cut by it.
    `namespace` places the object (it may be an Output); `serving_namespace` is the same name as
    text, for the query.
    """
    triggers = [{
        "type": "prometheus",
        "metricType": "AverageValue",
        "metadata": {
            "serverAddress": prometheus_url,
            "query": queries.waiting(serving_namespace, model.served_name),
            "threshold": str(autoscaling.waiting_per_replica),
            "ignoreNullValues": "true",
        },
    }]
    resting: dict = {}
    if cold_start is not None:
        triggers.insert(0, {"type": "external-push",
                            "metadata": {"scalerAddress": SCALER_ADDRESS, "interceptorRoute": model.name}})
        resting = {"cooldownPeriod": cold_start.idle_seconds}
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": model.name, "namespace": namespace, "labels": labels},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": model.name},
            "minReplicaCount": model.replicas.min,
            "maxReplicaCount": model.replicas.max,
            "pollingInterval": autoscaling.polling_interval_seconds,
            **resting,
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": {
                "scaleUp": {"stabilizationWindowSeconds": autoscaling.scale_up_window_seconds,
                            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]},
                "scaleDown": {"stabilizationWindowSeconds": autoscaling.scale_down_window_seconds,
                              "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}]},
            }}},
            "triggers": triggers,
        },
    }
