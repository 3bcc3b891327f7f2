"""Models that rest at zero replicas: the planner's rules and the cold-start plan (#18)."""

from __future__ import annotations

import pytest

from components.capacity.planning import NODE_START_SECONDS, plan_model
from components.capacity.stack import check_models, plan_stack
from components.core.cluster import ClusterSpec
from components.core.model import ModelSpec
from components.core.validation import parse

CLUSTER = parse(ClusterSpec, {
    "pools": [{"name": "l4", "gpu": "L4", "gpusPerNode": 4, "maxNodes": 2, "pricePerNodeHour": 4.6}],
    "storageClasses": [
        {"name": "ebs", "provisioner": "ebs.csi.aws.com", "accessModes": ["ReadWriteOnce"]},
        {"name": "efs", "provisioner": "efs.csi.aws.com", "accessModes": ["ReadWriteMany"]},
    ],
})


def spec(**overrides):
    data = {"name": "m", "repo": "Qwen/Qwen2.5-1.5B-Instruct", "revision": "b" * 40, "pool": "l4",
            "replicas": {"min": 0, "max": 1}, "cache": {"storageClass": "efs", "size": "20Gi"},
            "resources": {"cpu": "2", "memory": "16Gi"}}
    data.update(overrides)
    return parse(ModelSpec, data)


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_a_resting_model_plans_its_cold_start_hold_and_idle_window():
    plan = plan_model(spec(), CLUSTER.pool("l4"))
    cold = plan.cold_start
    assert cold.seconds == NODE_START_SECONDS + plan.startup_timeout_seconds == 1200
    assert (cold.hold_seconds, cold.idle_seconds, cold.queue_length) == (1200, 1800, 100)
    # One L4 of a four-L4 node at $4.60 an hour.
    assert cold.replica_price_per_hour == 1.15
    assert cold.idle_cost_usd == 0.57
    assert plan.warnings == []


def test_a_warm_model_has_no_cold_start():
    assert plan_model(spec(replicas={"min": 1, "max": 1}), CLUSTER.pool("l4")).cold_start is None


def test_the_hold_is_capped_and_the_plan_warns_with_the_wait_it_would_need():
    plan = plan_model(spec(scaleToZero={"maxWaitSeconds": 900}), CLUSTER.pool("l4"))
    assert plan.cold_start.hold_seconds == 900
    assert plan.cold_start.retry_after_seconds == 300
    [warning] = plan.warnings
    assert warning.startswith("scaleToZero.maxWaitSeconds 900s is shorter than the model's cold start (~1200s")
    assert "raise maxWaitSeconds to 1200" in warning


def test_the_idle_window_defaults_to_the_cold_start_when_that_is_longer():
    plan = plan_model(spec(startupTimeoutSeconds=2400), CLUSTER.pool("l4"))
    assert plan.cold_start.idle_seconds == plan.cold_start.seconds == 3000


def test_an_idle_window_shorter_than_the_cold_start_is_refused_with_the_least_that_works():
    problem = only(check_models([spec(scaleToZero={"idleSeconds": 600})], CLUSTER))
    assert problem.path == "models[0].scaleToZero.idleSeconds"
    assert problem.message.endswith("Use idleSeconds >= 1200")


def test_a_resting_model_serves_from_one_replica():
    problem = only(check_models([spec(replicas={"min": 0, "max": 3})], CLUSTER))
    assert problem.path == "models[0].replicas.max"
    assert "Use replicas.max: 1, or replicas.min: 1 without scaleToZero" in problem.message


def test_a_resting_model_needs_a_shared_cache():
    problem = only(check_models([spec(cache={"storageClass": "ebs", "size": "20Gi"})], CLUSTER))
    assert problem.path == "models[0].cache.storageClass"
    assert "Use a shared class (ReadWriteMany: efs)" in problem.message


def test_a_resting_model_needs_an_autoscaler():
    problem = only(plan_stack([spec()], CLUSTER, can_autoscale=False).problems)
    assert problem.path == "models[0].replicas.min"
    assert "enable `monitoring`" in problem.message


def test_scale_to_zero_settings_on_a_warm_model_are_refused():
    problem = only(check_models([spec(replicas={"min": 1, "max": 1}, scaleToZero={"queueLength": 5})], CLUSTER))
    assert problem.path == "models[0].scaleToZero"


@pytest.mark.parametrize("field,value", [("maxWaitSeconds", 30), ("queueLength", 0), ("idleSeconds", 60)])
def test_settings_out_of_range_are_refused_by_the_spec(field, value):
    with pytest.raises(Exception) as raised:
        spec(scaleToZero={field: value})
    assert f"scaleToZero.{field}" in str(raised.value)


@pytest.mark.parametrize("broken, fixes", [
    ({"replicas": {"min": 0, "max": 3}, "scaleToZero": {"queueLength": 5}},
     [{"replicas": {"min": 0, "max": 1}}, {"replicas": {"min": 1, "max": 3}, "scaleToZero": None}]),
    ({"scaleToZero": {"idleSeconds": 600}}, [{"scaleToZero": {"idleSeconds": 1200}}]),
    ({"cache": {"storageClass": "ebs", "size": "20Gi"}}, [{"cache": {"storageClass": "efs", "size": "20Gi"}}]),
])
def test_every_option_an_error_offers_passes_when_applied(broken, fixes):
    assert check_models([spec(**broken)], CLUSTER)
    for fix in fixes:
        fixed = {**broken, **fix}
        fixed = {key: value for key, value in fixed.items() if value is not None}
        assert check_models([spec(**fixed)], CLUSTER) == [], fix


def test_without_an_autoscaler_the_offered_warm_model_passes():
    assert plan_stack([spec(scaleToZero={"queueLength": 5})], CLUSTER, can_autoscale=False).problems
    assert plan_stack([spec(replicas={"min": 1, "max": 1})], CLUSTER, can_autoscale=False).problems == []
