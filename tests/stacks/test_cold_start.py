"""Models that rest at zero replicas, as every stack that has one renders them (#18): the request
path gateway -> KEDA's interceptor -> vLLM and nothing else, the timeout chain that lets a request
wait out a whole cold start, and the errors past the hold and the queue."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from components.capacity.planning import NODE_START_SECONDS
from components.core import keda_http
from components.core.catalog.charts import KEDA_HTTP_ADD_ON
from components.core.cold_start import ColdStart
from components.core.gateway import objects as gw
from components.core.gateway import resting
from components.core.gateway.spec import GatewaySpec
from components.core.manifests.vllm import PORT as VLLM_PORT
from tests.conftest import ALL_STACKS, EXTRA_STACKS, stack_config
from tests.netpol import Pod, allowed
from tests.unit.test_chart_values import chart_values
from tools.plan import load_stack

RESTING = [s for s in ALL_STACKS if any(m.rests_at_zero for m in stack_config(s).models)]


@pytest.fixture(params=RESTING)
def plan(request, plans):
    return plans[request.param]


def seconds(duration: str) -> int:
    assert duration.endswith("s"), duration
    return int(duration[:-1])


def named(plan, kind):
    return {o["metadata"]["name"]: o for o in plan.objects(kind)}


def add_on_values(plan) -> dict:
    release = yaml.safe_load((plan.path / "releases" / f"{KEDA_HTTP_ADD_ON.namespace}-{KEDA_HTTP_ADD_ON.name}.yaml").read_text())
    return release["values"]


def resting_models(plan):
    """(config, model, its planned cold start) of each model of the stack that rests at zero."""
    stack = load_stack(plan.stack, EXTRA_STACKS.get(plan.stack))
    for model in stack.config.models:
        if model.rests_at_zero:
            yield stack.config, model, stack.plan.models[model.name].cold_start


def test_a_shipped_stack_has_a_model_resting_at_zero():
    assert "prod" in RESTING


def test_no_hop_cuts_a_request_held_through_a_whole_cold_start(plan):
    values = add_on_values(plan)["interceptor"]
    routes, policies = named(plan, "AIGatewayRoute"), named(plan, "BackendTrafficPolicy")
    for config, model, cold in resting_models(plan):
        hold, answer = cold.hold_seconds, config.gateway.request_timeout_seconds
        assert hold == min(cold.seconds, model.resting.max_wait_seconds) and cold.seconds >= NODE_START_SECONDS
        # 1. The interceptor holds for the hold, then answers 504 itself; nothing else of its own ends the request.
        timeouts = named(plan, "InterceptorRoute")[model.name]["spec"]["timeouts"]
        assert seconds(timeouts["readiness"]) == hold
        assert seconds(timeouts["request"]) == 0 and seconds(timeouts["responseHeader"]) == 0
        assert values["responseHeaderTimeout"] == "0s" and not values.get("requestTimeout") and not values.get("readinessTimeout")
        # 2. Envoy's route: a request held the whole hold still has the gateway's request timeout to be answered.
        (rule,) = routes[model.name]["spec"]["rules"]
        assert seconds(rule["timeouts"]["request"]) >= hold + answer
        # 3. Nothing flows while it is held: the route's stream idle timeout outlasts the hold (the
        #    interceptor's answer arrives first) and still lets a stream pause as long as elsewhere.
        idle = seconds(policies[f"{model.name}-cold-start"]["spec"]["timeout"]["http"]["streamIdleTimeout"])
        assert idle > hold and idle >= answer
        # 4. KEDA is told at once: a push trigger, fed every 200 ms by the scaler (the chart's default, kept).
        scaled = named(plan, "ScaledObject")[model.name]["spec"]
        assert scaled["triggers"][0]["type"] == "external-push" and scaled["minReplicaCount"] == 0
        assert "streamInterval" not in add_on_values(plan)["scaler"] and chart_values(KEDA_HTTP_ADD_ON)["scaler"]["streamInterval"] == 200
        # 5. A stopping interceptor lets every request it holds finish: the whole hold and the answer.
        assert seconds(values["drainTimeout"]) >= hold + answer
        assert values["terminationGracePeriodSeconds"] > keda_http.SHUTDOWN_DELAY_SECONDS + seconds(values["drainTimeout"])


def test_a_twenty_minute_start_up_budget_is_held_through():
    """The issue's case: a 20-minute start-up budget, plus a GPU node and the image, under a cap that allows it."""
    spec = GatewaySpec(host="llm.example.com", tenants=[{"name": "t", "models": ["*"]}])
    cold = ColdStart(seconds=NODE_START_SECONDS + 1200, hold_seconds=NODE_START_SECONDS + 1200, idle_seconds=3600, queue_length=10)
    route = gw.ai_gateway_route(spec, "m", "m", "llm", {}, resting.route_timeout_seconds(spec, cold))
    ir = resting.interceptor_route("m", "m", cold, 8, gw.MODEL_HEADER, "llm", {})
    traffic = resting.resting_traffic(spec, "m", cold)
    hold = seconds(ir["spec"]["timeouts"]["readiness"])
    assert hold == 1800
    assert seconds(route["spec"]["rules"][0]["timeouts"]["request"]) >= hold + spec.request_timeout_seconds
    assert seconds(traffic["timeout"]["http"]["streamIdleTimeout"]) > hold
    assert seconds(keda_http.helm_values(spec_system(), "llm", resting.route_timeout_seconds(spec, cold))["interceptor"]["drainTimeout"]) >= hold


def spec_system():
    from components.core.cluster import SystemPlacement
    return SystemPlacement()


def test_past_the_hold_and_the_queue_clients_get_an_openai_error_with_retry_after(plan):
    policies = named(plan, "BackendTrafficPolicy")
    for config, model, cold in resting_models(plan):
        spec = policies[f"{model.name}-cold-start"]["spec"]
        starting, full = spec["responseOverride"]
        # The interceptor's 504 at the end of the hold is a backend response; Envoy's own timeouts stay.
        assert (starting["source"], starting["match"]["statusCodes"], starting["response"]["statusCode"]) == (
            "Backend", [{"type": "Value", "value": 504}], 503)
        assert (full["source"], full["match"]["statusCodes"], full["response"]["statusCode"]) == (
            "Local", [{"type": "Value", "value": 503}], 429)
        for override in (starting, full):
            response = override["response"]
            (header,) = response["header"]["set"]
            assert header["name"] == "Retry-After" and int(header["value"]) >= 30
            assert response["contentType"] == "application/json"
            body = json.loads(response["body"]["inline"].replace("%RESPONSE_FLAGS%", "UO"))
            assert set(body["error"]) == {"message", "type", "param", "code"} and model.served_name in body["error"]["message"]
        replicas = config.gateway.replicas
        assert spec["circuitBreaker"]["maxParallelRequests"] == math.ceil(cold.queue_length / replicas)
        # Merged into the listener's policy: retries and the tenants' shared limits keep applying to the route.
        assert spec["mergeType"] == "StrategicMerge" and spec["targetRefs"] == [
            {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": model.name}]
        assert "rateLimit" not in spec


def test_the_path_is_gateway_then_interceptor_then_vllm_and_nothing_else(plan):
    config = stack_config(plan.stack)
    policies = plan.objects("NetworkPolicy")
    peer = gw.proxy_peer(config.gateway, config.serving.namespace)
    envoy = Pod(peer.namespace, peer.pod_labels)
    interceptor = Pod(keda_http.NAMESPACE, keda_http.pod_labels("interceptor"))
    scaler = Pod(keda_http.NAMESPACE, keda_http.pod_labels("scaler"))
    neighbour = Pod(config.serving.namespace, {"app": "debug"})
    stranger = Pod("default", {"app": "curl"})
    pods = {d["metadata"]["name"]: Pod(config.serving.namespace, d["spec"]["template"]["metadata"]["labels"])
            for d in plan.model_deployments()}
    assert allowed(policies, envoy, interceptor, keda_http.PROXY_PORT)
    assert allowed(policies, scaler, interceptor, keda_http.ADMIN_PORT)
    for other in (neighbour, stranger, scaler):
        assert not allowed(policies, other, interceptor, keda_http.PROXY_PORT)
    assert not allowed(policies, envoy, interceptor, keda_http.ADMIN_PORT)
    for model in config.models:
        vllm = pods[model.name]
        assert allowed(policies, interceptor, vllm, VLLM_PORT) == model.rests_at_zero, model.name
        assert allowed(policies, envoy, vllm, VLLM_PORT) == (not model.rests_at_zero), model.name
        assert not allowed(policies, neighbour, vllm, VLLM_PORT)


def test_a_resting_model_scales_on_the_interceptors_count_and_rests_after_its_idle_window(plan):
    for config, model, cold in resting_models(plan):
        scaled = named(plan, "ScaledObject")[model.name]["spec"]
        assert (scaled["minReplicaCount"], scaled["maxReplicaCount"], scaled["cooldownPeriod"]) == (0, 1, cold.idle_seconds)
        assert cold.idle_seconds >= cold.seconds, "it would spend longer waking than resting"
        route = named(plan, "InterceptorRoute")[model.name]["spec"]
        assert route["rules"] == [{"headers": [{"name": gw.MODEL_HEADER, "value": model.served_name}]}]
        # The Deployment starts at zero and `pulumi up` leaves the count to KEDA.
        deployment = [d for d in plan.model_deployments() if d["metadata"]["name"] == model.name][0]
        assert deployment["spec"]["replicas"] == 0


def test_a_reused_gateway_with_rate_limits_refuses_a_resting_model(tmp_path):
    """On a Gateway the stack does not own, the resting route's policy cannot share the tenants' limit
    counters; without limits it is accepted, with a whole policy of its own on the route."""
    from tests.stacks.test_config_errors import broken_stack, fail_in_process
    from tools.plan import load_config

    shared = EXTRA_STACKS["shared-platform"]

    def resting(config):
        config["llmstack:models"][0]["replicas"] = {"min": 0, "max": 1}

    assert fail_in_process(tmp_path, resting, shared) == [
        "models[0].replicas.min: 0 on a reused Gateway with rate limits (tenants search-api): a model at rest needs a "
        "traffic policy of its own on its route, which on a Gateway the stack does not own cannot merge into the one "
        "holding the tenants' limits, and Envoy Gateway counts limits per policy: each tenant would get its limits "
        "again on this model. Use replicas.min: 1 without scaleToZero, or the stack's own Gateway"]

    def unlimited(config):
        resting(config)
        for tenant in config["llmstack:gateway"]["tenants"]:
            tenant.pop("requestsPerMinute", None)

    config = load_config("ok", broken_stack(tmp_path, unlimited, shared))
    main, route = gw.backend_traffic_policy(config.gateway, [m.name for m in config.models], "ns", {},
                                            {config.models[0].name: {"timeout": {"http": {"streamIdleTimeout": "1230s"}}}})
    assert config.models[0].name not in [ref["name"] for ref in main["spec"]["targetRefs"]]
    assert "mergeType" not in route["spec"] and route["spec"]["retry"] == main["spec"]["retry"]
    assert route["spec"]["timeout"]["http"]["streamIdleTimeout"] == "1230s"


def test_refusals_by_the_queue_are_counted_where_they_happen(plan):
    """Envoy's circuit breaker refuses past the queue (429 to clients): its proxies are scraped, on the
    port and path Envoy Gateway v1.8.3 gives them, and the dashboard counts the model's cluster."""
    from components.core.catalog import metrics
    from components.core.monitoring.dashboards import vllm_dashboard, expressions

    config = stack_config(plan.stack)
    peer = gw.proxy_peer(config.gateway, config.serving.namespace)
    (monitor,) = plan.objects("PodMonitor")
    assert monitor["metadata"]["namespace"] == peer.namespace
    assert monitor["spec"]["selector"]["matchLabels"] == peer.pod_labels
    assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "metrics", "path": "/stats/prometheus", "interval": "15s"}]
    resting_names = [m.name for m in config.models if m.rests_at_zero]
    refused = [e for e in expressions(vllm_dashboard(config.serving.namespace, resting_names)) if str(metrics.ENVOY_OVERFLOW) in e]
    assert refused and all(f"httproute/{config.serving.namespace}/({'|'.join(sorted(resting_names))})/rule/" in e for e in refused)


def test_the_plan_states_the_wake_and_what_resting_saves():
    """prod's qwen3-8b-fp8: one L40S of a g6e.12xlarge (4 GPUs at $10.49264/h in us-east-2), an hour's idle window."""
    from tools.plan import capacity_summary

    summary = capacity_summary(load_stack("prod"))
    assert ("    rests at zero after 3600s idle; wakes in ~1200s (a GPU node, the image, its start-up budget), holding "
            "requests up to 1200s, 50 at most") in summary
    assert (f"    each hour at rest saves 1 GPU-hour(s) (${10.49264 / 4:.2f} at its pool's price); each wake keeps it up at "
            f"least its idle window, 1.0 GPU-hour(s) (${10.49264 / 4:.2f} at its pool's price)") in summary


def test_the_plan_lists_the_parts_these_paths_install():
    from tools.plan import platform_parts

    prod = "\n".join(platform_parts(stack_config("prod")))
    assert "KEDA HTTP add-on               installed (0.15.0; holds requests for qwen3-8b-fp8 while they wake from zero)" in prod
    assert "endpoint pickers               one per model (v1.5.0; qwen3-8b, qwen-coder-32b); InferencePool CRD installed" in prod
    dev = "\n".join(platform_parts(stack_config("dev")))
    assert "KEDA HTTP add-on" not in dev and "endpoint pickers" not in dev
