"""Monitoring in every stack's plan: every model scraped, every autoscaled model scaled by exactly
one ScaledObject on its own queue within its replica bounds, objects waiting for their CRDs, and
alerts written from each model's own facts (its start-up budget, whether its cache can be measured)."""

from __future__ import annotations

import re

import pytest

from components.capacity.planning import NODE_START_SECONDS
from components.core import keda_http
from components.core.catalog import metrics
from components.core.manifests.cache import claim_name
from tests.conftest import ALL_STACKS, stack_config

MONITORED = [s for s in ALL_STACKS if stack_config(s).monitoring is not None]


@pytest.fixture(params=MONITORED)
def plan(request, plans):
    return plans[request.param]


def test_every_model_is_scraped_on_its_metrics_port(plan):
    config = stack_config(plan.stack)
    ns = config.serving.namespace
    for model in config.models:
        monitor = plan.manifests[f"servicemonitor-{ns}-{model.name}.yaml"]
        service = plan.manifests[f"service-{ns}-{model.name}.yaml"]
        assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        ports = {p["name"] for p in service["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports
        assert all(e["path"] == "/metrics" for e in monitor["spec"]["endpoints"])


def test_autoscaled_models_follow_their_own_queue_within_their_bounds(plan):
    config = stack_config(plan.stack)
    ns = config.serving.namespace
    deployments = {r["inputs"]["metadata"]["name"]: r for r in plan.resources if r["type"] == "kubernetes:apps/v1:Deployment"}
    for model in config.models:
        name = f"scaledobject-{ns}-{model.name}.yaml"
        if model.replicas.max == model.replicas.min and model.autoscaling is None:
            assert name not in plan.manifests
            continue
        scaled = plan.manifests[name]["spec"]
        assert scaled["scaleTargetRef"]["name"] == model.name
        assert (scaled["minReplicaCount"], scaled["maxReplicaCount"]) == (model.replicas.min, model.replicas.max)
        triggers = scaled["triggers"]
        if model.rests_at_zero:
            # At zero no pod reports a queue: KEDA's interceptor does, counting the requests it holds.
            push = triggers.pop(0)
            assert push == {"type": "external-push", "metadata": {"scalerAddress": keda_http.SCALER_ADDRESS,
                                                                  "interceptorRoute": model.name}}
            route = plan.manifests[f"interceptorroute-{ns}-{model.name}.yaml"]
            assert route["metadata"]["namespace"] == scaled_namespace(plan, name), "the scaler reads the route beside it"
            assert scaled["cooldownPeriod"] >= 300
        else:
            assert scaled["minReplicaCount"] >= 1, "at zero replicas no pod reports a queue"
        (trigger,) = triggers
        query = trigger["metadata"]["query"]
        assert query.startswith(f"sum({metrics.WAITING}{{") and f'namespace="{ns}"' in query
        assert f'{metrics.MODEL_LABEL}="{model.served_name}"' in query
        assert "spec.replicas" in deployments[model.name]["options"]["ignoreChanges"], "pulumi up would fight the autoscaler"


def scaled_namespace(plan, name):
    return plan.manifests[name]["metadata"]["namespace"]


def test_custom_resources_wait_for_their_crds(plan):
    """Each custom resource waits for the release that installs its CRD; a reused part's CRDs exist already."""
    reuse = stack_config(plan.stack).monitoring.reuse
    charts = {"kube-prometheus-stack": ("kubernetes:monitoring.coreos.com",) if reuse.prometheus is None else (),
              "keda": ("kubernetes:keda.sh",) if not reuse.keda else ()}
    releases = {r["inputs"]["chart"]: r["urn"] for r in plan.resources if r["type"] == "kubernetes:helm.sh/v3:Release"
                and r["inputs"]["chart"] in charts}
    assert set(releases) == {chart for chart, kinds in charts.items() if kinds}
    for chart, kinds in charts.items():
        for resource in plan.resources:
            if kinds and resource["type"].startswith(kinds):
                assert releases[chart] in resource.get("dependsOn", []), f"{resource['name']} may be created before its CRD"


def test_grafana_password_is_secret_and_dashboards_are_found_by_the_sidecar(plan):
    existing = stack_config(plan.stack).monitoring.reuse.prometheus
    if existing is None:
        assert plan.outputs["grafanaAdminPassword"] == "[secret]"
    else:
        assert "grafanaAdminPassword" not in plan.outputs, "the cluster's Grafana has its own"
    label, value = (existing.dashboards.label, existing.dashboards.value) if existing else ("grafana_dashboard", "1")
    dashboards = [o for o in plan.objects("ConfigMap") if o["metadata"].get("labels", {}).get(label) == value]
    assert {next(iter(d["data"])) for d in dashboards} == {"llmstack-vllm.json", "llmstack-gpus.json"}


def alert_rules(plan) -> list[dict]:
    (rule,) = plan.objects("PrometheusRule")
    return [r for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r]


def seconds(duration: str) -> int:
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[duration[-1]]


def test_each_model_is_alerted_on_after_its_own_start_up_budget(plan):
    """VllmReplicasUnavailable gives each replica exactly as long as the model's startup probe lets it load."""
    config = stack_config(plan.stack)
    rules = {r["labels"]["model_name"]: r for r in alert_rules(plan) if r["alert"] == "VllmReplicasUnavailable"}
    assert len(rules) == len(config.models)
    for model in config.models:
        rule = rules[model.served_name]
        assert f'deployment="{model.name}"' in rule["expr"] and f'namespace="{config.serving.namespace}"' in rule["expr"]
        (container,) = [c for d in plan.model_deployments() if d["metadata"]["name"] == model.name
                        for c in d["spec"]["template"]["spec"]["containers"]]
        probe = container["startupProbe"]
        allowed = probe["failureThreshold"] * probe["periodSeconds"]
        (budget,) = set(re.findall(r"offset (\w+)", rule["expr"]))
        if model.rests_at_zero:
            # Every wake starts from no node: the whole planned cold start, node and image before the load.
            allowed += NODE_START_SECONDS
        assert allowed - probe["periodSeconds"] < seconds(budget) <= allowed
        assert set(re.findall(r"\[(\w+)\]", rule["expr"])) == {budget}


def test_no_alert_fires_on_a_pod_merely_being_unscrapeable(plan):
    """A loading pod refuses connections: a scrape failure alone is not an alert, only on a Ready pod."""
    for rule in alert_rules(plan):
        if f"{metrics.SCRAPE_UP}{{" in rule["expr"]:
            assert metrics.POD_READY.name in rule["expr"], rule["alert"]


def test_the_cache_alert_covers_exactly_the_caches_kubelet_measures(plan):
    config = stack_config(plan.stack)
    cluster = config.cluster.contract()
    measured = {claim_name(model) for model in config.models
                if cluster.storage_class(model.cache.storage_class).reports_volume_stats}
    rules = [r for r in alert_rules(plan) if r["alert"] == "ModelCacheVolumeNearlyFull"]
    if not measured:
        assert rules == [], "no cache of this stack can be measured: an alert on it could never fire"
        return
    (rule,) = rules
    assert {claim_name(model) for model in config.models if claim_name(model) in rule["expr"]} == measured
