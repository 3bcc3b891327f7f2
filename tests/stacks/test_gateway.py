"""The front door, in every stack's plan: each model is reachable through exactly one route of the
gateway and no other way, to its ready pods; every HTTPS listener has a certificate; tenants get
exactly what config grants them; secrets are replaced without a gap; and the NetworkPolicies (serving
namespace, and Redis in Envoy Gateway's) allow exactly the flows the design lists."""

from __future__ import annotations

import pytest
import yaml

from components.core import keda_http
from components.core.catalog.charts import CERT_MANAGER, ENVOY_GATEWAY, KUBE_PROMETHEUS_STACK
from components.core.gateway import objects as gw
from components.core.gateway.spec import ALL_MODELS, AcmeIssuer, owning_gateway_labels
from components.core.monitoring.values import PROMETHEUS_POD_LABELS
from tests.conftest import dependencies, stack_config
from tests.netpol import External, Pod, allowed
from tools.recorder import SECRET, autoname

VLLM_PORT = 8000
SECRET_TYPE = "kubernetes:core/v1:Secret"


def named(plan, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in plan.objects(kind)}


def masked(value) -> bool:
    """Whether a recorded value is a Pulumi secret throughout (a map may be masked whole or per entry)."""
    return value == SECRET or (isinstance(value, dict) and bool(value) and all(masked(v) for v in value.values()))


def gateway_resources(plan) -> dict[str, dict]:
    """The Gateway component's registrations (resources.json), by resource name."""
    return {r["name"]: r for r in plan.resources if r["urn"].split("::")[-2].startswith("llmstack:kubernetes:Gateway")}


def envoy_gateway_values(plan) -> dict:
    release = yaml.safe_load((plan.path / "releases" / f"{ENVOY_GATEWAY.namespace}-{ENVOY_GATEWAY.name}.yaml").read_text())
    return release["values"]["config"]["envoyGateway"]


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
        assert route["spec"]["parentRefs"] == [gw.https_parent(config.gateway)]
        assert route["spec"]["hostnames"] == [config.gateway.host]
        (ref,) = rule["backendRefs"]
        if ref.get("kind") == "InferencePool":
            # Several replicas: the pod the endpoint picker chooses (test_endpoint_picker.py).
            assert model.replicas.max > 1 and ref == {"group": "inference.networking.k8s.io", "kind": "InferencePool",
                                                      "name": model.name}
            assert services[model.name]["spec"]["ports"][0]["port"] == VLLM_PORT
            continue
        backend = backends[service_backends[ref["name"]]["spec"]["backendRef"]["name"]]
        (endpoint,) = backend["spec"]["endpoints"]
        if model.rests_at_zero:
            # KEDA's interceptor, whose route for the model leads to the model's Service (test_cold_start.py).
            assert endpoint["fqdn"] == {"hostname": keda_http.PROXY_HOST, "port": keda_http.PROXY_PORT}
            target = named(plan, "InterceptorRoute")[model.name]["spec"]["target"]
            assert target == {"service": model.name, "port": VLLM_PORT}
        else:
            # The model's pods, through its headless Service (see test_rollouts_reach_only_ready_pods...).
            endpoints = services[gw.endpoints_service_name(model.name)]
            assert endpoint["fqdn"] == {"hostname": f"{endpoints['metadata']['name']}.{namespace}.svc.cluster.local",
                                        "port": VLLM_PORT}
            assert endpoints["spec"]["selector"] == services[model.name]["spec"]["selector"]
        assert services[model.name]["spec"]["ports"][0]["port"] == VLLM_PORT
        # Streams outlast AI Gateway's 60 s default request timeout.
        assert int(rule["timeouts"]["request"].rstrip("s")) >= 300
    assert len(routes) == len(config.models), "one route per model, and no route for anything else"


def test_nothing_exposes_a_model_but_the_gateway(plan):
    """Every Service of ours is ClusterIP (the only load balancer is Envoy's, made by Envoy Gateway);
    plain HTTPRoutes have no backends: the HTTP listener's only redirects, and the HTTPS listener's
    answers /v1/models from Lua; Backends point only at model Services and are used only by routes."""
    config = stack_config(plan.stack)
    for service in plan.objects("Service"):
        spec = service["spec"]
        assert spec.get("type", "ClusterIP") == "ClusterIP" and not spec.get("externalIPs"), service["metadata"]["name"]
    routes = named(plan, "HTTPRoute")
    for route in routes.values():
        assert all("backendRefs" not in rule for rule in route["spec"]["rules"]), route["metadata"]["name"]
    models = routes.pop(gw.MODELS_LIST_ROUTE)
    assert models["spec"]["parentRefs"] == [gw.https_parent(config.gateway)]
    for route in routes.values():
        assert [p["sectionName"] for p in route["spec"]["parentRefs"]] == [gw.HTTP_LISTENER]
        assert config.gateway.reuse is None, "a reused Gateway's HTTP listener is its owner's"
    used = {r["name"] for route in plan.objects("AIGatewayRoute") for rule in route["spec"]["rules"] for r in rule["backendRefs"]
            if r.get("kind") != "InferencePool"}
    assert used == set(named(plan, "AIServiceBackend"))
    assert {b["spec"]["backendRef"]["name"] for b in plan.objects("AIServiceBackend")} == set(named(plan, "Backend"))
    assert not plan.objects("Ingress")


def test_every_https_listener_has_a_certificate_for_its_host(plan):
    config = stack_config(plan.stack)
    certificates = [c for c in plan.objects("Certificate") if not c["spec"].get("isCA")]
    issuers = named(plan, "ClusterIssuer")
    if config.gateway.reuse is not None:
        _reused_listener_may_name_the_certificate(plan, config, certificates)
        return
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


def _reused_listener_may_name_the_certificate(plan, config, certificates) -> None:
    """On a reused Gateway the owner's listener terminates TLS: with `tls` the stack issues the
    certificate here and grants the Gateway's namespace the right to name its Secret; without, neither."""
    grants = plan.objects("ReferenceGrant")
    if not config.gateway.issues_certificate:
        assert not certificates and not grants
        return
    (certificate,) = certificates
    assert certificate["spec"]["dnsNames"] == [config.gateway.host]
    assert certificate["metadata"]["namespace"] == config.serving.namespace
    (grant,) = grants
    assert grant["metadata"]["namespace"] == config.serving.namespace
    assert grant["spec"]["from"] == [{"group": gw.GATEWAY_API, "kind": "Gateway", "namespace": config.gateway.reuse.namespace}]
    assert grant["spec"]["to"] == [{"group": "", "kind": "Secret", "name": certificate["spec"]["secretName"]}]
    assert plan.outputs["gatewayListenerCertificate"] == f"{config.serving.namespace}/{certificate['spec']['secretName']}"


def _protected_routes(config) -> list[dict]:
    """What auth, grants and limits must cover: the stack's own Gateway's HTTPS listener (all its
    routes), or, on a reused Gateway, every route of the stack's and nothing of anyone else's."""
    if config.gateway.reuse is None:
        return [{"group": gw.GATEWAY_API, "kind": "Gateway", "name": gw.NAME, "sectionName": gw.HTTPS_LISTENER}]
    return [{"group": gw.GATEWAY_API, "kind": "HTTPRoute", "name": name}
            for name in [*sorted(m.name for m in config.models), gw.MODELS_LIST_ROUTE]]


def test_tenants_get_exactly_their_granted_models(plan):
    config = stack_config(plan.stack)
    served = {m.name: m.served_name for m in config.models}
    (policy,) = plan.objects("SecurityPolicy")
    spec = policy["spec"]
    assert spec["targetRefs"] == _protected_routes(config)
    # AI Gateway names the HTTPRoute it generates after the AIGatewayRoute, in its namespace.
    assert {r["name"] for r in spec["targetRefs"] if r["kind"] == "HTTPRoute"} <= {*named(plan, "AIGatewayRoute"), gw.MODELS_LIST_ROUTE}
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
    # A client cannot pose as a tenant: Envoy's API key filter overwrites the header (setCopy) on every
    # request it lets through; on the stack's own Gateway the listener also drops it on arrival.
    if config.gateway.reuse is None:
        (client,) = plan.objects("ClientTrafficPolicy")
        assert client["spec"]["headers"]["earlyRequestHeaders"]["remove"] == [gw.TENANT_HEADER]
    else:
        assert not plan.objects("ClientTrafficPolicy"), "a reused Gateway's listener settings are its owner's"
    # One generated key per tenant, stored only as a secret.
    (ref,) = spec["apiKeyAuth"]["credentialRefs"]
    (secret,) = [s for s in plan.objects("Secret") if s["metadata"]["name"] == ref["name"]]
    assert secret["metadata"]["namespace"] == policy["metadata"]["namespace"]
    assert masked(secret["stringData"])
    keys = {r["name"] for r in plan.resources if r["type"] == "random:index/randomPassword:RandomPassword"
            and r["name"].startswith("gateway-key-")}
    assert keys == {f"gateway-key-{t.name}" for t in config.gateway.tenants}
    assert plan.outputs["apiKeys"] == "[secret]"


def test_limits_are_per_tenant_and_shared_across_models(plan):
    config = stack_config(plan.stack)
    policy = named(plan, "BackendTrafficPolicy")[gw.NAME]
    # Every model route, on either kind of Gateway (the /v1/models route reaches no backend).
    assert policy["spec"]["targetRefs"] == [r for r in _protected_routes(config) if r["name"] != gw.MODELS_LIST_ROUTE]
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
    # The stack's own Envoy Gateway counts in a Redis of the stack's; a reused one in its owner's.
    assert bool(redis) == (bool(expected) and config.gateway.reuse is None), "Redis exactly when limits need it"


# Triggers that fire only when vLLM did no work for the request: it never got it, or (503) refused it
# before scheduling it. Never `reset`, `5xx` or `gateway-error`: those include a generation cut short.
SAFE_RETRY_TRIGGERS = {"connect-failure", "refused-stream", "reset-before-request", "retriable-status-codes"}


def test_rollouts_reach_only_ready_pods_and_retry_only_what_did_no_work(plan):
    """Envoy routes to each model's ready pods (the headless Service's DNS name: one host per ready
    pod), re-resolving fast enough that a stopping pod is dropped while its preStop pause still serves;
    and retries on another pod only what vLLM did no work for."""
    services, deployments = named(plan, "Service"), named(plan, "Deployment")
    namespace = stack_config(plan.stack).serving.namespace
    for backend in plan.objects("Backend"):
        (endpoint,) = backend["spec"]["endpoints"]
        host, port = endpoint["fqdn"]["hostname"], endpoint["fqdn"]["port"]
        if host == keda_http.PROXY_HOST:
            continue  # a model at rest: KEDA's interceptor holds its requests (test_cold_start.py)
        service_name, service_namespace, rest = host.split(".", 2)
        assert (service_namespace, rest) == (namespace, "svc.cluster.local"), host
        service = services[service_name]
        assert service["spec"]["clusterIP"] == "None", f"{host}: a cluster IP hides which pods are ready"
        assert not service["spec"].get("publishNotReadyAddresses"), host
        assert port in {p["port"] for p in service["spec"]["ports"]}
        pods = deployments[backend["metadata"]["name"]]["spec"]["template"]
        assert service["spec"]["selector"].items() <= pods["metadata"]["labels"].items()
        # Not the model's own labels: its ServiceMonitor would scrape every pod twice.
        assert service["metadata"]["labels"].get("app.kubernetes.io/name") != "vllm"
    policy = named(plan, "BackendTrafficPolicy")[gw.NAME]
    dns = policy["spec"]["dns"]
    assert dns["respectDnsTtl"] is False
    refresh = int(dns["dnsRefreshRate"].rstrip("s"))
    for deployment in plan.model_deployments():
        settle = deployment["spec"]["template"]["spec"]["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert refresh + gw.CLUSTER_DNS_TTL_SECONDS < settle, deployment["metadata"]["name"]
    retry = policy["spec"]["retry"]
    assert set(retry["retryOn"]["triggers"]) <= SAFE_RETRY_TRIGGERS
    assert "retriable-status-codes" in retry["retryOn"]["triggers"] and retry["retryOn"]["httpStatusCodes"] == [503]
    assert retry["numRetries"] >= 1


def test_streams_are_not_cut_by_idle_timeouts(plan):
    """The stream idle timeout lasts as long as a request may, and request bodies fit the buffer AI
    Gateway's ext_proc reads them into: on the stack's own Gateway as listener settings, on a reused
    one as route settings (which Envoy Gateway applies over its owner's listener settings)."""
    config = stack_config(plan.stack)
    if config.gateway.reuse is None:
        (client,) = plan.objects("ClientTrafficPolicy")
        timeouts, buffer = client["spec"]["timeout"]["http"], client["spec"]["connection"]["bufferLimit"]
        # Keepalives inside the shortest load balancer idle tracking (Google Cloud's passthrough: 60 s),
        # the first probe and each next one alike.
        keepalive = client["spec"]["tcpKeepalive"]
        assert max(int(keepalive[k].rstrip("s")) for k in ("idleTime", "interval")) < gw.LOAD_BALANCER_IDLE_SECONDS
    else:
        traffic = named(plan, "BackendTrafficPolicy")[gw.NAME]
        timeouts, buffer = traffic["spec"]["timeout"]["http"], traffic["spec"]["requestBuffer"]["limit"]
    assert int(timeouts["streamIdleTimeout"].rstrip("s")) >= config.gateway.request_timeout_seconds >= 300
    assert buffer == gw.BUFFER_LIMIT == "50Mi"


# -- NetworkPolicies ------------------------------------------------------------------------------

def _envoy(config, gateway: str = "") -> Pod:
    """The gateway's Envoy pods, or (`gateway`) those of another Gateway beside it."""
    peer = gw.proxy_peer(config.gateway, config.serving.namespace)
    if not gateway:
        return Pod(peer.namespace, peer.pod_labels)
    owner = config.gateway.reuse.namespace if config.gateway.reuse is not None else config.serving.namespace
    return Pod(peer.namespace, owning_gateway_labels(gateway, owner))


def _pods(plan):
    config = stack_config(plan.stack)
    namespace = config.serving.namespace
    existing = config.monitoring.reuse.prometheus if config.monitoring is not None else None
    prometheus = (Pod(existing.namespace, dict(existing.pod_labels)) if existing is not None
                  else Pod(KUBE_PROMETHEUS_STACK.namespace, PROMETHEUS_POD_LABELS))
    (model,) = plan.model_deployments()[:1]
    (job,) = plan.objects("Job")[:1]
    return config, {
        "vllm": Pod(namespace, model["spec"]["template"]["metadata"]["labels"]),
        "populate": Pod(namespace, job["spec"]["template"]["metadata"]["labels"]),
        "envoy": _envoy(config),
        "other-envoy": _envoy(config, gateway="elsewhere"),
        "prometheus": prometheus,
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
    names = {p["metadata"]["name"] for p in policies if p["metadata"]["namespace"] == config.serving.namespace}
    resting = ["vllm-resting"] if any(model.rests_at_zero for model in config.models) else []
    if plan.objects("InferencePool"):
        resting.append("endpoint-picker")
    assert names == {"default-deny", "vllm", "model-cache-populate", *(["acme-http01-solver"] if http01 else []), *resting}


def test_the_evaluator_is_not_permissive():
    """Guard: without policies everything is allowed; a default deny alone allows nothing."""
    a, b = Pod("ns", {"x": "1"}), Pod("ns", {"y": "1"})
    assert allowed([], a, b, 80)
    deny = {"metadata": {"name": "d", "namespace": "ns"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    assert not allowed([deny], a, b, 80)
    assert not allowed([deny], a, External("1.1.1.1"), 443)


OWN_GATEWAY_KINDS = ("Gateway", "GatewayClass", "ClientTrafficPolicy", "EnvoyProxy")


@pytest.mark.parametrize("kind", [*OWN_GATEWAY_KINDS, "SecurityPolicy", "BackendTrafficPolicy", "EnvoyExtensionPolicy",
                                  "HTTPRoute", "AIGatewayRoute", "Certificate", "NetworkPolicy"])
def test_plan_has_every_kind_of_gateway_object(plan, kind):
    """Each kind the front door needs; a reused Gateway's own objects are its owner's, and none is made."""
    config = stack_config(plan.stack)
    expected = not (config.gateway.reuse is not None and kind in OWN_GATEWAY_KINDS)
    if kind == "Certificate":
        expected = config.gateway.issues_certificate
    assert bool(plan.objects(kind)) == expected


def test_the_gateway_is_created_in_an_order_that_works(plan):
    """cert-manager after the Gateway API CRDs (it looks for them at start-up); the Gateway after AI
    Gateway's webhook (which adds the ext_proc to the Envoy pods when they are created); every custom
    resource after the release that installs its CRD."""
    by_name = {r["name"]: r for r in plan.resources if r["urn"].split("::")[-2].startswith("llmstack:kubernetes:Gateway")}
    names = {r["urn"]: r["name"] for r in plan.resources}
    after = {name: {names[u] for u in dependencies(plan, r["urn"]) if u in names} for name, r in by_name.items()}
    config = stack_config(plan.stack)
    if config.gateway.reuse is not None:
        # The cluster's Envoy Gateway, AI Gateway and cert-manager hold their CRDs: nothing of theirs is installed.
        assert not [r for r in by_name.values() if r["type"].startswith("kubernetes:helm.sh/") or "cert-manager" in r["name"]
                    and r["type"].startswith("llmstack")]
        assert not {"gateway-envoy-gateway", "gateway-ai-gateway", "gateway-ai-gateway-crds", "gateway-cert-manager"} & set(by_name)
        return
    installs_cert_manager = config.gateway.tls.cert_manager.install
    assert ("gateway-cert-manager" in after) == installs_cert_manager
    if installs_cert_manager:
        assert "gateway-envoy-gateway" in after["gateway-cert-manager"]
    assert {"gateway-ai-gateway", "gateway-envoy-gateway"} <= after["gateway-gateway"]
    # An HTTP-01 challenge is answered through the Gateway: it must not wait for its certificate.
    assert "gateway-certificate" not in after["gateway-gateway"]
    routes = [name for name in after if name.endswith("-route") and not name.endswith("-interceptor-route")]
    assert routes and all({"gateway-ai-gateway-crds", "gateway-ai-gateway"} <= after[name] for name in routes)
    # KEDA's HTTP add-on installs the InterceptorRoute CRD, after KEDA's (its chart has a ScaledObject).
    for name in after:
        if name.endswith("-interceptor-route"):
            assert "gateway-keda-http" in after[name] and "monitoring-keda" in after["gateway-keda-http"], name
    for name, resource in by_name.items():
        if resource["type"].startswith("kubernetes:gateway.envoyproxy.io/") or resource["type"].startswith("kubernetes:gateway.networking"):
            assert "gateway-envoy-gateway" in after[name], name
        if resource["type"].startswith("kubernetes:cert-manager.io/") and installs_cert_manager:
            assert "gateway-cert-manager" in after[name], name


# -- Secrets: replaced create-before-delete, read by name from the Secret's output ------------------

def _secret(plan, resources: dict, resource_name: str) -> dict:
    """The Secret a gateway resource registers; it must have been registered without a name, so
    pulumi-kubernetes names it (`<resource name>-<suffix>`) and replaces it create-before-delete."""
    resource = resources[resource_name]
    assert resource["type"] == SECRET_TYPE
    name = resource["inputs"]["metadata"]["name"]
    assert name == autoname(SECRET_TYPE, resource_name), f"{resource_name} has a fixed name: replacing it deletes it first"
    assert not resource.get("options", {}).get("deleteBeforeReplace"), resource_name
    assert masked(resource["inputs"]["stringData"]), f"{resource_name}: its data must be a Pulumi secret"
    (secret,) = [s for s in plan.objects("Secret") if s["metadata"]["name"] == name]
    return secret


def test_the_api_key_secret_is_replaced_before_the_old_one_goes(plan):
    """Adding a tenant or rotating a key changes the Secret's data, which replaces it: a new Secret
    is created, the SecurityPolicy is switched to it (its name comes from the new Secret's output,
    so Pulumi updates the policy after creating it), and only then is the old one deleted."""
    resources = gateway_resources(plan)
    secret = _secret(plan, resources, "gateway-api-keys")
    (policy,) = plan.objects("SecurityPolicy")
    assert policy["spec"]["apiKeyAuth"]["credentialRefs"] == [{"group": "", "kind": "Secret", "name": secret["metadata"]["name"]}]
    assert resources["gateway-api-keys"]["urn"] in resources["gateway-security-policy"]["dependsOn"]
    assert plan.outputs["apiKeys"] == SECRET


def test_the_cloudflare_token_secret_is_replaced_before_the_old_one_goes(plan):
    config = stack_config(plan.stack)
    issuer = config.gateway.tls.issuer
    resources = gateway_resources(plan)
    if not (isinstance(issuer, AcmeIssuer) and issuer.challenge == "dns01-cloudflare"):
        assert "gateway-cloudflare-token" not in resources
        return
    secret = _secret(plan, resources, "gateway-cloudflare-token")
    assert secret["metadata"]["namespace"] == CERT_MANAGER.namespace, "a ClusterIssuer reads Secrets in cert-manager's namespace"
    (acme,) = [i for i in plan.objects("ClusterIssuer") if "acme" in i["spec"]]
    (solver,) = acme["spec"]["acme"]["solvers"]
    assert solver["dns01"]["cloudflare"]["apiTokenSecretRef"] == {"name": secret["metadata"]["name"], "key": gw.CLOUDFLARE_KEY}
    (issuer_resource,) = [r for r in resources.values() if r["type"].endswith(":ClusterIssuer")]
    assert resources["gateway-cloudflare-token"]["urn"] in issuer_resource["dependsOn"]


def test_the_cloudflare_stack_is_covered():
    """Guard: some stack the tests plan has a DNS-01 Cloudflare issuer, so the test above checks it."""
    from tests.conftest import ALL_STACKS

    issuers = [stack_config(stack).gateway.tls.issuer for stack in ALL_STACKS]
    assert any(isinstance(i, AcmeIssuer) and i.challenge == "dns01-cloudflare" for i in issuers)


# -- Redis: a password only the rate limiter has, and a NetworkPolicy only it passes --------------

def _redis(plan):
    (deployment,) = [d for d in plan.objects("Deployment") if d["metadata"]["name"] == gw.REDIS_NAME] or [None]
    return deployment


def test_redis_requires_a_password_that_only_the_rate_limiter_is_given(plan):
    deployment = _redis(plan)
    if deployment is None:
        if stack_config(plan.stack).gateway.reuse is None:
            assert "rateLimit" not in envoy_gateway_values(plan)
        return
    resources = gateway_resources(plan)
    secret = _secret(plan, resources, "gateway-redis-auth")
    name = secret["metadata"]["name"]
    assert secret["metadata"]["namespace"] == ENVOY_GATEWAY.namespace
    pod = deployment["spec"]["template"]["spec"]
    (redis,) = pod["containers"]
    args = redis["args"]
    # The image's entrypoint starts `redis-server <file>` when the first argument ends in .conf.
    assert args[0] == f"{gw.REDIS_CONFIG_DIR}/{gw.REDIS_CONFIG_KEY}" and args[0].endswith(".conf")
    assert args[args.index("--protected-mode") + 1] == "yes"
    assert not any("requirepass" in a for a in args), "the password is not on the command line"
    volumes = {v["name"]: v for v in pod["volumes"]}
    (mount,) = [m for m in redis["volumeMounts"] if m["mountPath"] == gw.REDIS_CONFIG_DIR]
    assert volumes[mount["name"]]["secret"]["secretName"] == name
    assert resources["gateway-redis-auth"]["urn"] in resources["gateway-redis"]["dependsOn"]
    # The rate limiter sends the same Secret's password (envoyproxy/ratelimit REDIS_AUTH).
    patch = envoy_gateway_values(plan)["provider"]["kubernetes"]["rateLimitDeployment"]["patch"]
    assert patch["type"] == "StrategicMerge"
    (container,) = patch["value"]["spec"]["template"]["spec"]["containers"]
    assert container["name"] == gw.RATELIMIT_CONTAINER
    assert {"name": "REDIS_AUTH", "valueFrom": {"secretKeyRef": {"name": name, "key": gw.REDIS_PASSWORD_KEY}}} in container["env"]
    assert resources["gateway-redis-auth"]["urn"] in resources["gateway-envoy-gateway"]["dependsOn"]


def _redis_pods(plan):
    deployment = _redis(plan)
    namespace = stack_config(plan.stack).serving.namespace
    return {
        "redis": Pod(ENVOY_GATEWAY.namespace, deployment["spec"]["template"]["metadata"]["labels"]),
        "ratelimit": Pod(ENVOY_GATEWAY.namespace, gw.RATELIMIT_POD_LABELS),
        "foreign-ratelimit": Pod("default", gw.RATELIMIT_POD_LABELS),
        "envoy": Pod(ENVOY_GATEWAY.namespace, owning_gateway_labels(gw.NAME, namespace)),
        "controller": Pod(ENVOY_GATEWAY.namespace, {"control-plane": "envoy-gateway", "app.kubernetes.io/name": "gateway-helm"}),
        "neighbour": Pod(ENVOY_GATEWAY.namespace, {"app": "debug"}),
        "vllm": Pod(namespace, plan.model_deployments()[0]["spec"]["template"]["metadata"]["labels"]),
        "internet": External("18.160.102.50"),
    }


def test_only_the_rate_limiter_reaches_redis(plan):
    policies = plan.objects("NetworkPolicy")
    if _redis(plan) is None:
        assert not [p for p in policies if p["metadata"]["namespace"] == ENVOY_GATEWAY.namespace]
        return
    pods = _redis_pods(plan)
    redis = pods["redis"]
    assert allowed(policies, pods["ratelimit"], redis, gw.REDIS_PORT)
    assert not allowed(policies, pods["ratelimit"], redis, 6380)
    for source in ("foreign-ratelimit", "envoy", "controller", "neighbour", "vllm", "redis"):
        assert not allowed(policies, pods[source], redis, gw.REDIS_PORT), source
    assert not allowed(policies, External("10.40.1.20"), redis, gw.REDIS_PORT)
    # Redis connects nowhere; the policy isolates Redis only, not its neighbours.
    assert not allowed(policies, redis, pods["internet"], 443)
    assert allowed(policies, pods["ratelimit"], pods["neighbour"], 8080)


# -- /v1/models: each tenant sees exactly its grants ------------------------------------------------

def run_models_script(script: str, tenant) -> tuple[str, str, dict]:
    """Run the gateway's Lua in LuaJIT 2.1 (as Envoy does) for one GET /v1/models whose API key
    authenticated `tenant` (None: no tenant header); returns status, content type and body."""
    import json

    from lupa.luajit21 import LuaRuntime

    lua = LuaRuntime(unpack_returned_tuples=True)
    lua.execute(script)
    handle = lua.eval('''function(tenant, header)
      local h = {}
      function h:headers() return {get = function(_, name) if name == header then return tenant end end} end
      function h:respond(headers, body) self.status, self.type, self.body = headers[":status"], headers["content-type"], body end
      return h
    end''')(tenant, gw.TENANT_HEADER)
    lua.globals().envoy_on_request(handle)
    return handle.status, handle.type, json.loads(handle.body)


def test_each_tenant_lists_exactly_its_granted_models(plan):
    """GET /v1/models answers each tenant with its grants (AI Gateway's own list would show every
    model on the host to every tenant), from a route only the stack's policies cover."""
    config = stack_config(plan.stack)
    served = {m.name: m.served_name for m in config.models}
    (route,) = [r for r in plan.objects("HTTPRoute") if r["metadata"]["name"] == gw.MODELS_LIST_ROUTE]
    assert route["spec"]["hostnames"] == [config.gateway.host]
    assert route["spec"]["rules"] == [{"matches": [{"path": {"type": "Exact", "value": "/v1/models"}, "method": "GET"}]}]
    (policy,) = plan.objects("EnvoyExtensionPolicy")
    assert policy["spec"]["targetRefs"] == [{"group": gw.GATEWAY_API, "kind": "HTTPRoute", "name": gw.MODELS_LIST_ROUTE}]
    (script,) = [lua["inline"] for lua in policy["spec"]["lua"]]
    for tenant in config.gateway.tenants:
        granted = set(served.values()) if ALL_MODELS in tenant.models else {served[m] for m in tenant.models}
        status, content_type, body = run_models_script(script, tenant.name)
        assert (status, content_type) == ("200", "application/json")
        assert body["object"] == "list" and {entry["id"] for entry in body["data"]} == granted, tenant.name
        assert all(entry["object"] == "model" for entry in body["data"])
    for stranger in (None, "not-a-tenant"):
        status, _, body = run_models_script(script, stranger)
        assert status == "403" and body["error"]["code"] == "model_not_granted"


def test_the_models_script_quotes_what_it_embeds():
    """Names are embedded as Lua string literals: quotes, backslashes and a Lua long-bracket close
    in a served name come back unchanged."""
    from components.core.gateway.spec import GatewaySpec

    spec = GatewaySpec.model_validate({"host": "llm.example.com", "tenants": [
        {"name": "a", "models": ["odd"]}, {"name": "b", "models": ["plain"]}]})
    odd = 'org/m"\\]]==]\n'
    script = gw.models_list_script(spec.tenants, {"odd": odd, "plain": "org/plain"})
    assert [e["id"] for e in run_models_script(script, "a")[2]["data"]] == [odd]
    assert [e["id"] for e in run_models_script(script, "b")[2]["data"]] == ["org/plain"]
