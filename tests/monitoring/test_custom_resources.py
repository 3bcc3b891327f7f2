"""Custom resources we render validate against the real CRD schemas, with unknown fields refused."""

from __future__ import annotations

import jsonschema
import pytest

from components.core.labels import CostLabels, object_labels
from components.core.model import ModelSpec
from components.core.monitoring import objects
from components.core.monitoring.alerts import rule_groups
from components.core.monitoring.spec import AlertedModel, AlertThresholds, AutoscalingSpec
from tests.crds import validate

MODEL = ModelSpec.model_validate({
    "name": "qwen3-8b", "repo": "Qwen/Qwen3-8B", "revision": "a" * 40, "pool": "l40s", "replicas": {"min": 2, "max": 8},
    "cache": {"storageClass": "efs", "size": "40Gi"}, "resources": {"cpu": "8", "memory": "48Gi"},
})
ALERTED = AlertedModel(deployment="qwen3-8b", served_name="Qwen/Qwen3-8B", startup_budget_seconds=1200,
                       cache_claim="qwen3-8b-cache", cache_reports_volume_stats=True)
LABELS = object_labels("vllm", "qwen3-8b", CostLabels(team="t", environment="e"), model="qwen3-8b")


def test_service_monitor_matches_the_crd():
    validate(objects.service_monitor(MODEL, namespace="llm", labels=LABELS))


def test_prometheus_rule_matches_the_crd():
    validate(objects.prometheus_rule("llmstack", namespace="llm", labels=LABELS,
                                     groups=rule_groups("llm", [ALERTED], AlertThresholds())))


def test_scaled_object_matches_the_crd():
    validate(objects.scaled_object(MODEL, AutoscalingSpec(), namespace="llm", labels=LABELS,
                                   prometheus_url="http://llmstack-prometheus.monitoring.svc:9090", serving_namespace="llm"))


def test_the_validation_refuses_a_misspelt_field():
    manifest = objects.service_monitor(MODEL, namespace="llm", labels=LABELS)
    manifest["spec"]["endpoints"][0]["intervall"] = "15s"
    with pytest.raises(jsonschema.ValidationError, match="intervall"):
        validate(manifest)


def test_the_scaled_object_queries_what_the_service_monitor_produces():
    scaled = objects.scaled_object(MODEL, AutoscalingSpec(), namespace="llm", labels=LABELS, prometheus_url="http://p:9090", serving_namespace="llm")
    query = scaled["spec"]["triggers"][0]["metadata"]["query"]
    assert query == 'sum(vllm:num_requests_waiting{namespace="llm",model_name="Qwen/Qwen3-8B"})'
    monitor = objects.service_monitor(MODEL, namespace="llm", labels=LABELS)
    assert monitor["spec"]["selector"]["matchLabels"].items() <= LABELS.items()
    assert scaled["spec"]["minReplicaCount"] == 2 and scaled["spec"]["maxReplicaCount"] == 8
