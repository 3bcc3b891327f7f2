"""A cluster that already runs platform parts: the shared-platform stack reuses a Gateway (Envoy
Gateway with AI Gateway), cert-manager, the Prometheus Operator stack (with Grafana) and KEDA. None
of them is installed again (no chart, no CRD, no webhook), and every object that depends on them is
still created and wired to the cluster's: routes and policies on the Gateway's listener,
ServiceMonitors and rules with the labels its Prometheus selects, dashboards for its Grafana's
sidecar, ScaledObjects that query it, NetworkPolicies that let its Envoy and Prometheus pods reach
the models, and the gateway's certificate from the cluster's ClusterIssuer."""

from __future__ import annotations

import pytest

from tests.conftest import stack_config
from tests.netpol import Pod, allowed
from tests.stacks.test_config_errors import broken_stack, fail_in_process
from tools.plan import platform_parts

STACK = "shared-platform"


@pytest.fixture
def shared(plans):
    return plans[STACK]


def test_reused_parts_are_not_installed(shared):
    releases = shared.path / "releases"
    assert not releases.exists() or not list(releases.iterdir()), "no chart at all"
    assert not [r for r in shared.resources if r["type"].startswith("kubernetes:helm.sh/")]
    types = {r["type"] for r in shared.resources}
    assert "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition" not in types
    assert not [r for r in shared.resources if "CertManager" in r["type"] or r["type"].endswith("ClusterIssuer")]
    assert not [o for o in shared.objects() if o["kind"] in ("ClusterIssuer", "ValidatingWebhookConfiguration",
                                                             "MutatingWebhookConfiguration")]
    namespaces = {o["metadata"]["name"] for o in shared.objects("Namespace")}
    assert not namespaces & {"monitoring", "keda", "cert-manager", "envoy-gateway-system", "envoy-ai-gateway-system",
                             "platform-gateways"}, "the cluster's namespaces are not the stack's to own"
    kinds = {o["kind"] for o in shared.objects()}
    assert not kinds & {"Gateway", "GatewayClass", "EnvoyProxy", "ClientTrafficPolicy"}, "the Gateway is its owner's"
    assert not [d for d in shared.objects("Deployment") if "redis" in d["metadata"]["name"]], "limits count in its backend"


def test_objects_that_depend_on_reused_parts_are_wired_to_them(shared):
    existing = stack_config(STACK).monitoring.reuse.prometheus
    monitors = shared.objects("ServiceMonitor")
    assert {m["metadata"]["name"] for m in monitors} == {"qwen3-8b-fp8", "qwen3-8b-fp8-epp"}, "the model and its picker"
    for monitor in monitors:
        assert monitor["metadata"]["labels"].items() >= existing.service_monitor_labels.items()
    (rule,) = shared.objects("PrometheusRule")
    assert rule["metadata"]["namespace"] == existing.namespace
    assert rule["metadata"]["labels"].items() >= existing.rule_labels.items()
    boards = shared.objects("ConfigMap")
    dashboards = [b for b in boards if b["metadata"]["name"].startswith("llmstack-dashboard-")]
    assert len(dashboards) == 2
    for board in dashboards:
        assert board["metadata"]["namespace"] == existing.dashboards.namespace
        assert board["metadata"]["labels"][existing.dashboards.label] == existing.dashboards.value
    (scaled,) = shared.objects("ScaledObject")
    assert {t["metadata"]["serverAddress"] for t in scaled["spec"]["triggers"]} == {existing.url}
    (certificate,) = [c for c in shared.objects("Certificate") if not c["spec"].get("isCA")]
    assert certificate["spec"]["issuerRef"] == {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt-prod"}


def test_the_clusters_prometheus_may_scrape_the_models_and_nothing_else_of_it(shared):
    existing = stack_config(STACK).monitoring.reuse.prometheus
    policies = shared.objects("NetworkPolicy")
    vllm_pod = Pod("search-llm", {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "qwen3-8b-fp8"})
    prometheus = Pod(existing.namespace, dict(existing.pod_labels))
    grafana = Pod(existing.namespace, {"app.kubernetes.io/name": "grafana"})
    assert allowed(policies, prometheus, vllm_pod, 8000)
    assert not allowed(policies, grafana, vllm_pod, 8000)


def test_the_plan_says_what_is_installed_and_what_is_reused():
    lines = platform_parts(stack_config(STACK))[1:]
    needs = [line for line in lines if "the reused Gateway must:" in line]
    assert any("admit routes from namespace search-llm on listener https-search" in n for n in needs)
    assert any("name Secret search-llm/llmstack-gateway-tls" in n for n in needs)
    parts = dict(line.strip().split("  ", 1) for line in lines if line not in needs)
    parts = {k.strip(): v.strip() for k, v in parts.items()}
    assert parts["cert-manager"] == "reused (the cluster's, in cert-manager)"
    assert parts["kube-prometheus-stack"] == "reused (http://kube-prometheus-stack-prometheus.monitoring.svc:9090)"
    assert parts["KEDA"] == "reused (the cluster's)"
    assert parts["Envoy Gateway and AI Gateway"] == ("reused (Gateway platform-gateways/shared, listener https-search; "
                                                     "Envoy Gateway v1.8.3, AI Gateway v1.1.0)")
    prod = {line.split("  ")[0].strip(): line for line in platform_parts(stack_config("prod"))[1:]}
    assert all("installed" in line for line in prod.values())


def _reuse_prometheus(config):
    config["llmstack:monitoring"] = {"reuse": {"prometheus": {
        "url": "http://prometheus.monitoring.svc:9090", "namespace": "monitoring", "podLabels": {"app": "prometheus"}}}}
    config.pop("llmstack:alertingSecrets", None)


def _reuse_gateway(config, **extra):
    config["llmstack:gateway"]["reuse"] = {"namespace": "gateways", "name": "shared", "listener": "https",
                                           "envoyGatewayVersion": "v1.8.3", "aiGatewayVersion": "v1.1.0", **extra}
    for own in ("tls", "replicas", "serviceType", "loadBalancerAnnotations"):  # the Gateway's owner's
        config["llmstack:gateway"].pop(own, None)


def _limited(config):
    config["llmstack:gateway"]["tenants"] = [{"name": "a", "models": ["*"]}, {"name": "b", "models": ["*"], "tokensPerDay": 9}]


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: (_reuse_gateway(c), c["llmstack:gateway"].update(replicas=3)),
     "gateway: replicas configure the stack's own Envoy proxies, but reuse attaches to the cluster's "
     "Gateway, whose owner sets them: remove them, or remove reuse"),
    (lambda c: (_reuse_gateway(c, globalRateLimit=False), _limited(c)),
     "gateway.tenants[1].tokensPerDay: limits are counted by the existing Envoy Gateway's global rate "
     "limit backend; set reuse.globalRateLimit: true"),
    (lambda c: (_reuse_gateway(c, aiGatewayVersion="v0.7.0")),
     "gateway.reuse.aiGatewayVersion: Envoy AI Gateway v0.7.0 is older than v1.1.0"),
    (lambda c: (_reuse_gateway(c, envoyGatewayVersion="1.8")),
     "gateway.reuse.envoyGatewayVersion: '1.8' is not a release version such as v1.8.3"),
    (lambda c: (_reuse_gateway(c), c["llmstack:gateway"].update(
        tls={"issuer": {"type": "acme", "email": "ops@example.com", "challenge": "http01"}})),
     "gateway: an ACME HTTP-01 challenge is answered through the Gateway's port 80 listener"),
])
def test_contradictions_with_a_reused_gateway_are_config_errors(tmp_path, mutate, expected):
    lines = fail_in_process(tmp_path, mutate)
    assert [line for line in lines if line.startswith(expected)] == lines, lines


def test_a_reused_gateway_without_tls_issues_no_certificate(tmp_path):
    from tests.conftest import plan_in_process

    def mutate(config):
        _reuse_gateway(config, globalRateLimit=True)
        # prod's model at rest is refused on a reused Gateway with limits (test_cold_start.py).
        config["llmstack:models"] = [m for m in config["llmstack:models"] if m["replicas"]["min"] > 0]

    plan = plan_in_process("reuse-gateway", tmp_path / "out", broken_stack(tmp_path, mutate))
    assert not plan.objects("Certificate") and not plan.objects("ReferenceGrant") and not plan.objects("ClusterIssuer")
    assert not [r for r in plan.resources if "CertManager" in r["type"]]
    assert "gatewayListenerCertificate" not in plan.outputs and "howToTrustTheCa" not in plan.outputs
    assert plan.objects("AIGatewayRoute") and plan.objects("SecurityPolicy")


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: (_reuse_prometheus(c), c["llmstack:monitoring"].update(retention="30d")),
     "monitoring.retention: settings of the stack's own Prometheus, but reuse.prometheus uses the cluster's: set them "
     "there, or drop reuse.prometheus"),
    (lambda c: (_reuse_prometheus(c), c.update({"llmstack:grafanaAdminPassword": {"secure": "v1:AAAA:BBBB"}})),
     "grafanaAdminPassword: is the password of the stack's own Grafana, but monitoring.reuse.prometheus uses the "
     "cluster's: remove it (`pulumi config rm grafanaAdminPassword`)"),
    (lambda c: c["llmstack:gateway"].setdefault("tls", {}).update(certManager={"namespace": "platform-certs"}),
     "gateway.tls.certManager: namespace names an existing cert-manager's; the stack installs its own in 'cert-manager' "
     "(set install: false to use the cluster's)"),
    (lambda c: (_reuse_prometheus(c), c["llmstack:monitoring"]["reuse"]["prometheus"].update(url="prometheus:9090")),
     "monitoring.reuse.prometheus.url: 'prometheus:9090' is not an http(s) URL"),
])
def test_contradictions_with_reused_parts_are_config_errors(tmp_path, mutate, expected):
    assert expected in fail_in_process(tmp_path, mutate)


def test_the_self_signed_ca_lives_in_the_clusters_cert_manager_namespace(tmp_path):
    from tools.plan import load_config

    def mutate(config):
        config["llmstack:gateway"]["tls"] = {"certManager": {"install": False, "namespace": "platform-certs"}}

    config = load_config("reuse", broken_stack(tmp_path, mutate))
    from components.core.gateway.objects import ca_certificate_command, issuers

    (_, ca, _) = issuers(config.gateway, "llm", config.gateway.tls.cert_manager.namespace, config.cluster.contract().system, {})
    assert ca["metadata"]["namespace"] == "platform-certs"
    assert ca_certificate_command("platform-certs").startswith("kubectl -n platform-certs get secret")


def test_an_eks_cluster_that_runs_its_own_gpu_operator_gets_none(tmp_path):
    from tests.conftest import plan_in_process
    from tools.plan import load_config

    def mutate(config):
        config["llmstack:cluster"]["gpuOperator"] = {"install": False}  # its settings belong to the cluster's operator

    stack_file = broken_stack(tmp_path, mutate)
    plan = plan_in_process("own-gpu-operator", tmp_path / "out", stack_file)
    assert not [r for r in plan.resources if "GpuOperator" in r["type"] or r["inputs"].get("chart") == "gpu-operator"]
    assert any(r["inputs"].get("chart") == "kube-prometheus-stack" for r in plan.resources), "the rest is unchanged"
    parts = platform_parts(load_config("own-gpu-operator", stack_file))
    assert any(line.split()[:2] == ["GPU", "Operator"] and "reused (the cluster's" in line for line in parts)


def test_settings_of_the_operator_the_stack_installs_are_refused_when_it_installs_none(tmp_path):
    def mutate(config):
        config["llmstack:cluster"]["gpuOperator"]["install"] = False

    assert ("cluster.gpuOperator.dcgmServiceMonitor: settings of the GPU Operator the stack installs, but install is "
            "false: configure the cluster's own operator instead, or drop them") in fail_in_process(tmp_path, mutate)
