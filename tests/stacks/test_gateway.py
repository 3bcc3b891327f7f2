"""The front door, in every stack's plan: each model is reachable through exactly one route of the
gateway and no other way; every HTTPS listener has a certificate; tenants get exactly what config
grants them; and the serving namespace's NetworkPolicies allow exactly the flows the design lists."""

from __future__ import annotations

import pytest

from components.core.catalog.charts import ENVOY_GATEWAY, KUBE_PROMETHEUS_STACK
from components.core.gateway import objects as gw
from components.core.gateway.spec import ALL_MODELS, AcmeIssuer
from components.core.monitoring.values import PROMETHEUS_POD_LABELS
from tests.conftest import dependencies, stack_config
from tests.netpol import External, Pod, allowed

VLLM_PORT = 8000


def named(plan, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in plan.objects(kind)}


def test_every_model_is_reachable_through_exactly_one_route(plan):
    config = stack_config(plan.stack)
    namespace = config.serving.namespace
    routes, service_backends, backends = named(plan, "AIGatewayRoute"), named(plan, "AIServiceBackend"), named(plan, "Backend")
    services = named(plan, "Service")
    for model in config.models:
        matching = [(route, rule) for route in routes.values() for rule in route["spec"]["rules"]
                    if {"type": "Exact", "name": gw.MODEL_HEADER, "value": model.served_name} in
                    [h for m in rule["matches"] for h in m["headers"]]]
        assert len(matching) == 1, f"{model.name}: {len(matching)} routes match model '{model.served_name}'"
        route, rule = matching[0]
        assert route["spec"]["parentRefs"] == [{"group": gw.GATEWAY_API, "kind": "Gateway", "name": gw.NAME,
                                                "sectionName": gw.HTTPS_LISTENER}]
        (ref,) = rule["backendRefs"]
        backend = backends[service_backends[ref["name"]]["spec"]["backendRef"]["name"]]
        (endpoint,) = backend["spec"]["endpoints"]
        assert endpoint["fqdn"] == {"hostname": f"{model.name}.{namespace}.svc.cluster.local", "port": VLLM_PORT}
        assert services[model.name]["spec"]["ports"][0]["port"] == VLLM_PORT
        # Streams outlast AI Gateway's 60 s default request timeout.
        assert int(rule["timeouts"]["request"].rstrip("s")) >= 300
    assert len(routes) == len(config.models), "one route per model, and no route for anything else"


def test_nothing_exposes_a_model_but_the_gateway(plan):
    """Every Service of ours is ClusterIP (the only load balancer is Envoy's, made by Envoy Gateway);
    plain HTTPRoutes only redirect; Backends point only at model Services and are used only by routes."""
    for service in plan.objects("Service"):
        spec = service["spec"]
        assert spec.get("type", "ClusterIP") == "ClusterIP" and not spec.get("externalIPs"), service["metadata"]["name"]
    for route in plan.objects("HTTPRoute"):
        assert all("backendRefs" not in rule for rule in route["spec"]["rules"]), route["metadata"]["name"]
        assert [p["sectionName"] for p in route["spec"]["parentRefs"]] == [gw.HTTP_LISTENER]
    used = {r["name"] for route in plan.objects("AIGatewayRoute") for rule in route["spec"]["rules"] for r in rule["backendRefs"]}
    assert used == set(named(plan, "AIServiceBackend"))
    assert {b["spec"]["backendRef"]["name"] for b in plan.objects("AIServiceBackend")} == set(named(plan, "Backend"))
    assert not plan.objects("Ingress")


def test_every_https_listener_has_a_certificate_for_its_host(plan):
    config = stack_config(plan.stack)
    certificates = [c for c in plan.objects("Certificate") if not c["spec"].get("isCA")]
    issuers = named(plan, "ClusterIssuer")
    (gateway,) = plan.objects("Gateway")
    https = [listener for listener in gateway["spec"]["listeners"] if listener["protocol"] == "HTTPS"]
    assert https, "the gateway serves HTTPS"
    for listener in https:
        assert listener["tls"]["mode"] == "Terminate" and listener["tls"]["certificateRefs"]
        for ref in listener["tls"]["certificateRefs"]:
            (certificate,) = [c for c in certificates if c["spec"]["secretName"] == ref["name"]
                              and c["metadata"]["namespace"] == gateway["metadata"]["namespace"]]
            assert listener["hostname"] in certificate["spec"]["dnsNames"]
            issuer = certificate["spec"]["issuerRef"]
            assert issuer["kind"] == "ClusterIssuer"
            existing = getattr(config.gateway.tls.issuer, "name", None)
            assert issuer["name"] in issuers or issuer["name"] == existing
    http = [listener for listener in gateway["spec"]["listeners"] if listener["protocol"] == "HTTP"]
    assert [listener["port"] for listener in http] == [80], "plain HTTP only to redirect (and answer ACME)"


def test_tenants_get_exactly_their_granted_models(plan):
    config = stack_config(plan.stack)
    served = {m.name: m.served_name for m in config.models}
    (policy,) = plan.objects("SecurityPolicy")
    spec = policy["spec"]
    assert spec["targetRefs"] == [{"group": gw.GATEWAY_API, "kind": "Gateway", "name": gw.NAME, "sectionName": gw.HTTPS_LISTENER}]
    assert spec["apiKeyAuth"]["forwardClientIDHeader"] == gw.TENANT_HEADER
    assert spec["authorization"]["defaultAction"] == "Deny"
    rules = {rule["name"]: rule for rule in spec["authorization"]["rules"]}
    assert set(rules) == {t.name for t in config.gateway.tenants}
    for tenant in config.gateway.tenants:
        rule = rules[tenant.name]
        assert rule["action"] == "Allow"
        headers = {h["name"]: set(h["values"]) for h in rule["principal"]["headers"]}
        assert headers[gw.TENANT_HEADER] == {tenant.name}
        if ALL_MODELS in tenant.models:
            assert gw.MODEL_HEADER not in headers
        else:
            assert headers[gw.MODEL_HEADER] == {served[m] for m in tenant.models}
    # A client cannot pose as a tenant: the header is dropped before authentication sets it.
    (client,) = plan.objects("ClientTrafficPolicy")
    assert client["spec"]["headers"]["earlyRequestHeaders"]["remove"] == [gw.TENANT_HEADER]
    # One generated key per tenant, stored only as a secret.
    (secret,) = [s for s in plan.objects("Secret") if s["metadata"]["name"] == gw.API_KEYS_SECRET]
    assert secret["stringData"] == "[secret]"
    keys = {r["name"] for r in plan.resources if r["type"] == "random:index/randomPassword:RandomPassword"
            and r["name"].startswith("gateway-key-")}
    assert keys == {f"gateway-key-{t.name}" for t in config.gateway.tenants}
    assert plan.outputs["apiKeys"] == "[secret]"


def test_limits_are_per_tenant_and_shared_across_models(plan):
    config = stack_config(plan.stack)
    (policy,) = plan.objects("BackendTrafficPolicy")
    rules = policy["spec"].get("rateLimit", {}).get("global", {}).get("rules", [])
    expected = set()
    for t in config.gateway.tenants:
        expected |= {(t.name, "Minute", t.requests_per_minute, False)} if t.requests_per_minute else set()
        expected |= {(t.name, "Minute", t.tokens_per_minute, True)} if t.tokens_per_minute else set()
        expected |= {(t.name, "Day", t.tokens_per_day, True)} if t.tokens_per_day else set()
    found = set()
    for rule in rules:
        (selector,) = rule["clientSelectors"]
        (header,) = selector["headers"]
        assert header["name"] == gw.TENANT_HEADER and rule["shared"] is True
        tokens = "cost" in rule
        if tokens:
            assert rule["cost"]["request"] == {"from": "Number", "number": 0}
            assert rule["cost"]["response"]["metadata"]["key"] == gw.TOTAL_TOKENS_KEY
        found.add((header["value"], rule["limit"]["unit"], rule["limit"]["requests"], tokens))
    assert found == expected
    redis = [d for d in plan.objects("Deployment") if d["metadata"]["name"] == gw.REDIS_NAME]
    assert bool(redis) == bool(expected), "Redis holds the counters exactly when there are limits"
    # Retried only when vLLM never saw the request.
    assert set(policy["spec"]["retry"]["retryOn"]["triggers"]) <= {"connect-failure", "refused-stream", "reset-before-request"}


def test_streams_are_not_cut_by_idle_timeouts(plan):
    config = stack_config(plan.stack)
    (client,) = plan.objects("ClientTrafficPolicy")
    seconds = int(client["spec"]["timeout"]["http"]["streamIdleTimeout"].rstrip("s"))
    assert seconds >= config.gateway.request_timeout_seconds >= 300
    # Keepalives inside the 350 s idle timeout of an AWS NLB.
    assert int(client["spec"]["tcpKeepalive"]["idleTime"].rstrip("s")) < 350


# -- NetworkPolicies ------------------------------------------------------------------------------

def _pods(plan):
    config = stack_config(plan.stack)
    namespace = config.serving.namespace
    (model,) = plan.model_deployments()[:1]
    (job,) = plan.objects("Job")[:1]
    return config, {
        "vllm": Pod(namespace, model["spec"]["template"]["metadata"]["labels"]),
        "populate": Pod(namespace, job["spec"]["template"]["metadata"]["labels"]),
        "envoy": Pod(ENVOY_GATEWAY.namespace, gw.envoy_pod_labels(namespace)),
        "other-envoy": Pod(ENVOY_GATEWAY.namespace, gw.envoy_pod_labels("elsewhere")),
        "prometheus": Pod(KUBE_PROMETHEUS_STACK.namespace, PROMETHEUS_POD_LABELS),
        "dns": Pod("kube-system", {"k8s-app": "kube-dns"}),
        "neighbour": Pod(namespace, {"app": "debug"}),
        "foreign": Pod("default", {"app.kubernetes.io/name": "vllm"}),
        "solver": Pod(namespace, gw.ACME_SOLVER_LABELS),
        "huggingface": External("18.160.102.50"),
        "metadata": External("169.254.169.254"),
        "vpc": External("10.40.1.20"),
    }


def test_only_the_gateway_and_prometheus_reach_models(plan):
    config, pods = _pods(plan)
    policies = plan.objects("NetworkPolicy")
    vllm = pods["vllm"]
    assert allowed(policies, pods["envoy"], vllm, VLLM_PORT)
    assert not allowed(policies, pods["envoy"], vllm, 9000)
    assert allowed(policies, pods["prometheus"], vllm, VLLM_PORT) == (config.monitoring is not None)
    for source in ("other-envoy", "neighbour", "foreign", "populate", "vllm", "vpc"):
        assert not allowed(policies, pods[source], vllm, VLLM_PORT), source


def test_models_reach_only_dns(plan):
    _, pods = _pods(plan)
    policies = plan.objects("NetworkPolicy")
    vllm = pods["vllm"]
    assert allowed(policies, vllm, pods["dns"], 53, "UDP") and allowed(policies, vllm, pods["dns"], 53, "TCP")
    for target, port in (("huggingface", 443), ("metadata", 80), ("envoy", 10443), ("prometheus", 9090), ("vllm", VLLM_PORT)):
        assert not allowed(policies, vllm, pods[target], port), target


def test_the_populate_job_reaches_only_dns_and_public_https(plan):
    _, pods = _pods(plan)
    policies = plan.objects("NetworkPolicy")
    job = pods["populate"]
    assert allowed(policies, job, pods["huggingface"], 443)
    assert allowed(policies, job, pods["dns"], 53, "UDP")
    for target, port in (("huggingface", 80), ("metadata", 80), ("vpc", 443), ("vllm", VLLM_PORT)):
        assert not allowed(policies, job, pods[target], port), target
    assert not allowed(policies, pods["envoy"], job, 8080)


def test_everything_else_in_the_namespace_is_cut_off(plan):
    _, pods = _pods(plan)
    policies = plan.objects("NetworkPolicy")
    neighbour = pods["neighbour"]
    assert not allowed(policies, pods["envoy"], neighbour, 8080)
    assert not allowed(policies, neighbour, pods["huggingface"], 443)
    assert not allowed(policies, neighbour, pods["dns"], 53, "UDP")


def test_acme_solvers_are_reachable_from_the_gateway_only_with_http01(plan):
    config, pods = _pods(plan)
    policies = plan.objects("NetworkPolicy")
    issuer = config.gateway.tls.issuer
    http01 = isinstance(issuer, AcmeIssuer) and issuer.challenge == "http01"
    assert allowed(policies, pods["envoy"], pods["solver"], gw.ACME_SOLVER_PORT) == http01
    assert not allowed(policies, pods["neighbour"], pods["solver"], gw.ACME_SOLVER_PORT)
    names = {p["metadata"]["name"] for p in policies}
    assert names == {"default-deny", "vllm", "model-cache-populate", *(["acme-http01-solver"] if http01 else [])}


def test_the_evaluator_is_not_permissive():
    """Guard: without policies everything is allowed; a default deny alone allows nothing."""
    a, b = Pod("ns", {"x": "1"}), Pod("ns", {"y": "1"})
    assert allowed([], a, b, 80)
    deny = {"metadata": {"name": "d", "namespace": "ns"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    assert not allowed([deny], a, b, 80)
    assert not allowed([deny], a, External("1.1.1.1"), 443)


@pytest.mark.parametrize("kind", ["Gateway", "GatewayClass", "SecurityPolicy", "BackendTrafficPolicy", "ClientTrafficPolicy",
                                  "EnvoyProxy", "Certificate", "NetworkPolicy"])
def test_plan_has_every_kind_of_gateway_object(plan, kind):
    assert plan.objects(kind)


def test_the_gateway_is_created_in_an_order_that_works(plan):
    """cert-manager after the Gateway API CRDs (it looks for them at start-up); the Gateway after AI
    Gateway's webhook (which adds the ext_proc to the Envoy pods when they are created); every custom
    resource after the release that installs its CRD."""
    by_name = {r["name"]: r for r in plan.resources if r["urn"].split("::")[-2].startswith("llmstack:kubernetes:Gateway")}
    names = {r["urn"]: r["name"] for r in plan.resources}
    after = {name: {names[u] for u in dependencies(plan, r["urn"]) if u in names} for name, r in by_name.items()}
    assert "gateway-envoy-gateway" in after["gateway-cert-manager"]
    assert {"gateway-ai-gateway", "gateway-envoy-gateway"} <= after["gateway-gateway"]
    # An HTTP-01 challenge is answered through the Gateway: it must not wait for its certificate.
    assert "gateway-certificate" not in after["gateway-gateway"]
    routes = [name for name in after if name.endswith("-route")]
    assert routes and all({"gateway-ai-gateway-crds", "gateway-ai-gateway"} <= after[name] for name in routes)
    for name, resource in by_name.items():
        if resource["type"].startswith("kubernetes:gateway.envoyproxy.io/") or resource["type"].startswith("kubernetes:gateway.networking"):
            assert "gateway-envoy-gateway" in after[name], name
        if resource["type"].startswith("kubernetes:cert-manager.io/"):
            assert "gateway-cert-manager" in after[name], name
