"""KEDA's HTTP add-on as the stack runs it: values, names and labels against the chart's own files."""

from __future__ import annotations

from pathlib import Path

from components.core import keda_http
from components.core.catalog.charts import KEDA_HTTP_ADD_ON
from components.core.cluster import SystemPlacement, Taint
from tests.unit.test_chart_values import check, chart_values

CHARTS = Path(__file__).resolve().parent.parent / "data" / "charts"
SYSTEM = SystemPlacement(node_selector={"llmstack.dev/pool": "system"}, tolerations=[Taint(key="dedicated", value="system")])


def template(component: str) -> str:
    return (CHARTS / f"keda-add-ons-http-0.15.0-templates-{component}-deployment.yaml").read_text()


def test_values_exist_in_the_chart():
    assert check(KEDA_HTTP_ADD_ON, keda_http.helm_values(SYSTEM, "llm", 1230)) == []


def test_the_pod_labels_selected_are_the_charts():
    for component in ("interceptor", "scaler"):
        text = template(component)
        for key, value in keda_http.pod_labels(component).items():
            assert f"        {key}: {value}\n" in text, f"{component} pods do not carry {key}: {value}"


def test_the_names_and_ports_are_the_charts():
    values = chart_values(KEDA_HTTP_ADD_ON)
    assert f"{KEDA_HTTP_ADD_ON.name}-{values['interceptor']['proxy']['service']}" == keda_http.PROXY_SERVICE
    assert values["interceptor"]["proxy"]["port"] == keda_http.PROXY_PORT
    assert values["interceptor"]["admin"]["port"] == keda_http.ADMIN_PORT
    assert f"{KEDA_HTTP_ADD_ON.name}-{values['scaler']['service']}" == keda_http.SCALER_SERVICE
    assert values["scaler"]["grpcPort"] == keda_http.SCALER_PORT


def test_every_component_runs_as_a_non_root_user_with_the_default_seccomp_profile():
    values = keda_http.helm_values(SYSTEM, "llm", 1230)
    pod, container = values["podSecurityContext"], values["securityContext"]
    assert pod["runAsNonRoot"] and container["runAsNonRoot"] and pod["seccompProfile"] == {"type": "RuntimeDefault"}
    # One map for all three components: the templates use a component's own key only if it is set,
    # else the whole map, so a key for one component would leak into the others' pod specs.
    assert not {"operator", "scaler", "interceptor"} & (set(pod) | set(container))


def test_a_stopping_interceptor_lets_its_longest_request_finish():
    values = keda_http.helm_values(SYSTEM, "llm", 1230)["interceptor"]
    assert values["drainTimeout"] == "1230s"
    assert values["terminationGracePeriodSeconds"] >= keda_http.SHUTDOWN_DELAY_SECONDS + 1230
    assert "KEDA_HTTP_DRAIN_TIMEOUT" in template("interceptor") and "terminationGracePeriodSeconds" in template("interceptor")


def test_the_interceptor_watches_only_the_serving_namespace():
    values = keda_http.helm_values(SYSTEM, "search-llm", 600)
    assert values["interceptor"]["extraEnvs"] == {"KEDA_HTTP_WATCH_NAMESPACE": "search-llm"}
    assert values["operator"]["watchNamespace"] == "search-llm"


def test_the_queue_is_shared_out_between_the_gateways_proxies():
    assert keda_http.queue_per_proxy(50, 2) == 25
    assert keda_http.queue_per_proxy(5, 2) == 3
    assert keda_http.queue_per_proxy(5, None) == 5
