"""Prefix-cache-aware routing (#18): every model with several replicas, on a stack that owns its
Gateway, reaches its pods through an InferencePool and its endpoint picker; the path is gateway ->
picker (which pod) -> that pod, and nothing else reaches the picker."""

from __future__ import annotations

import pytest
import yaml

from components.core import endpoint_picker as epp
from components.core.catalog.charts import ENVOY_GATEWAY
from components.core.gateway import objects as gw
from components.core.manifests.vllm import PORT as VLLM_PORT
from tests.conftest import ALL_STACKS, dependencies, stack_config
from tests.netpol import External, Pod, allowed

@pytest.fixture(params=ALL_STACKS)
def plan(request, plans):
    return plans[request.param]


def named(plan, kind):
    return {o["metadata"]["name"]: o for o in plan.objects(kind)}


def test_every_model_with_several_replicas_is_routed_by_its_endpoint_picker(plan):
    config = stack_config(plan.stack)
    routes, pools = named(plan, "AIGatewayRoute"), named(plan, "InferencePool")
    for model in config.models:
        (rule,) = routes[model.name]["spec"]["rules"]
        (ref,) = rule["backendRefs"]
        picked = epp.gateway_routes_pools(config.gateway) and model.replicas.max > 1
        assert (ref == epp.pool_backend_ref(model.name)) == picked, model.name
        assert (model.name in pools) == picked, model.name
    assert set(pools) <= {m.name for m in config.models}
    if any(m.replicas.max > 1 for m in config.models) and epp.gateway_routes_pools(config.gateway):
        assert pools, "a stack with multi-replica models and its own Gateway routes them by prefix cache"


def test_each_pool_selects_its_models_pods_and_names_a_picker_that_answers(plan):
    config = stack_config(plan.stack)
    services, deployments = named(plan, "Service"), named(plan, "Deployment")
    for pool in plan.objects("InferencePool"):
        model, spec = pool["metadata"]["name"], pool["spec"]
        pods = deployments[model]["spec"]["template"]
        assert spec["selector"]["matchLabels"].items() <= pods["metadata"]["labels"].items()
        assert not [d for name, d in deployments.items() if name != model
                    and spec["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        ports = {p["containerPort"] for c in pods["spec"]["containers"] for p in c.get("ports", [])}
        assert spec["targetPorts"] == [{"number": VLLM_PORT}] and VLLM_PORT in ports
        ref = spec["endpointPickerRef"]
        # AI Gateway v1.1.0 dials <name>.<namespace>.svc:<port.number> over TLS and fails closed.
        assert (ref["kind"], ref["failureMode"], ref["port"]) == ("Service", "FailClose", {"number": epp.GRPC_PORT})
        service = services[ref["name"]]
        picker = deployments[ref["name"]]
        (container,) = picker["spec"]["template"]["spec"]["containers"]
        (port,) = [p for p in service["spec"]["ports"] if p["port"] == epp.GRPC_PORT]
        assert port["targetPort"] in {p["name"] for p in container["ports"]}
        assert service["spec"]["selector"].items() <= picker["spec"]["template"]["metadata"]["labels"].items()
        args = container["args"]
        assert args[args.index("--pool-name") + 1] == model
        assert args[args.index("--pool-namespace") + 1] == config.serving.namespace
        assert not [a for a in args if a.startswith("--secure-serving")], "AI Gateway's cluster speaks TLS to it"
        assert not [a for a in args if "metric" in a and a != "--metrics-endpoint-auth=false"], "v1.5.0 refuses metric-name flags"
        config_file = args[args.index("--config-file") + 1]
        (mount,) = container["volumeMounts"]
        assert config_file == f"{mount['mountPath']}/{epp.CONFIG_FILE}"
        plugins = yaml.safe_load(named(plan, "ConfigMap")[ref["name"]]["data"][epp.CONFIG_FILE])
        weights = {p["pluginRef"]: p["weight"] for p in plugins["schedulingProfiles"][0]["plugins"]}
        assert weights["prefix-cache-scorer"] == 3
        assert picker["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, "no moment without a picker"


def test_envoy_gateway_hands_pools_to_ai_gateway_after_their_crd(plan):
    if not plan.objects("InferencePool"):
        pytest.skip("no pools in this stack")
    if stack_config(plan.stack).gateway.reuse is not None:
        # The owner's Envoy Gateway and CRD (gateway.reuse.inferencePools): nothing of the sort is installed.
        assert not [r for r in plan.resources if r["type"].startswith(("kubernetes:helm.sh/", "kubernetes:apiextensions"))
                    and ("gateway" in r["name"] or "inferencepool" in r["name"])]
        return
    values = yaml.safe_load((plan.path / "releases" / f"{ENVOY_GATEWAY.namespace}-{ENVOY_GATEWAY.name}.yaml").read_text())
    assert values["values"]["config"]["envoyGateway"]["extensionManager"]["backendResources"] == [epp.BACKEND_RESOURCE]
    by_name = {r["name"]: r for r in plan.resources}
    names = {r["urn"]: r["name"] for r in plan.resources}
    after = {name: {names[u] for u in dependencies(plan, r["urn"]) if u in names} for name, r in by_name.items()}
    assert "gateway-inferencepool-crd" in after["gateway-ai-gateway"], "AI Gateway handles pools only if their CRD exists at its start"
    for name, resource in by_name.items():
        if resource["type"] == "kubernetes:inference.networking.k8s.io/v1:InferencePool":
            assert "gateway-inferencepool-crd" in after[name], name


def test_the_picker_is_reached_by_the_gateway_and_reaches_only_its_inputs(plan):
    if not plan.objects("InferencePool"):
        pytest.skip("no pools in this stack")
    config = stack_config(plan.stack)
    policies = plan.objects("NetworkPolicy")
    ns = config.serving.namespace
    peer = gw.proxy_peer(config.gateway, ns)
    envoy = Pod(peer.namespace, peer.pod_labels)
    picker = named(plan, "Deployment")[epp.name(plan.objects("InferencePool")[0]["metadata"]["name"])]
    picker_pod = Pod(ns, picker["spec"]["template"]["metadata"]["labels"])
    model = [d for d in plan.model_deployments()][0]
    vllm = Pod(ns, model["spec"]["template"]["metadata"]["labels"])
    neighbour, stranger = Pod(ns, {"app": "debug"}), Pod("default", {"app": "curl"})
    assert allowed(policies, envoy, picker_pod, epp.GRPC_PORT)
    for other in (neighbour, stranger, vllm):
        assert not allowed(policies, other, picker_pod, epp.GRPC_PORT)
    assert allowed(policies, picker_pod, vllm, VLLM_PORT), "it scores pods on their metrics"
    assert allowed(policies, picker_pod, External("10.100.0.1"), 443), "it watches its pods through the API"
    assert not allowed(policies, picker_pod, External("18.160.102.50"), 80)
    assert not allowed(policies, picker_pod, neighbour, 8080)
    assert allowed(policies, envoy, vllm, VLLM_PORT), "Envoy then connects to the chosen pod itself"
