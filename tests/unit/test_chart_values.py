"""Every value the stack sets on a chart exists in that chart's values.yaml at the pinned version.
Helm ignores unknown keys silently; this turns a misspelt or removed key into a failing test."""

from __future__ import annotations

import copy

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.aws.builders import autoscaler_values
from components.aws.catalog import AUTOSCALER_IMAGE_TAGS
from components.aws.spec import GPU_TAINT
from components.core.catalog.charts import CLUSTER_AUTOSCALER, GPU_OPERATOR, KEDA, KUBE_PROMETHEUS_STACK, Chart
from components.core.cluster import SystemPlacement, Taint
from components.core.gpu_operator import GpuOperatorSpec, helm_values

CHARTS = Path(__file__).resolve().parent.parent / "data" / "charts"
SYSTEM = SystemPlacement(node_selector={"llmstack.dev/pool": "system"}, tolerations=[Taint(key="dedicated", value="system")])
SUBCHARTS = {
    GPU_OPERATOR.name: {"node-feature-discovery": "node-feature-discovery-0.19.0-values.yaml"},
    KUBE_PROMETHEUS_STACK.name: {"grafana": "grafana-12.11.1-values.yaml", "kube-state-metrics": "kube-state-metrics-8.4.0-values.yaml",
                                 "prometheus-node-exporter": "prometheus-node-exporter-4.56.1-values.yaml"},
}


def chart_values(chart: Chart) -> dict:
    path = CHARTS / chart.values_file
    assert path.exists(), f"tests/data/charts/{chart.values_file} missing: copy the values.yaml of {chart.name} {chart.version}"
    return yaml.safe_load(path.read_text())


# Values whose keys are data, not chart options: Kubernetes maps and command-line flags.
FREE_FORM = {"nodeSelector", "labels", "annotations", "resources", "securityContext", "podSecurityContext", "containerSecurityContext",
             "extraArgs", "data"}


def unknown_keys(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Keys of `ours` the chart does not declare. Below a free-form value, or one the chart leaves
    empty, a list or a scalar, nothing is checked."""
    if path.rsplit(".", 1)[-1] in FREE_FORM:
        return []
    if not isinstance(ours, dict) or not isinstance(theirs, dict) or not theirs:
        return []
    missing = []
    for key, value in ours.items():
        here = f"{path}.{key}" if path else str(key)
        if key not in theirs:
            missing.append(here)
        else:
            missing += unknown_keys(value, theirs[key], here)
    return missing


# Values a chart's templates read although its values.yaml shows them only as a comment: path -> the
# template (copied beside the values, see tests/data/charts/README.md) that must read each key we set.
TEMPLATE_READ = {
    GPU_OPERATOR.name: {"dcgmExporter.config": "gpu-operator-v26.7.0-templates-dcgm_exporter_config.yaml"},
}


def template_read_problems(chart: Chart, values: dict) -> tuple[dict, list[str]]:
    """The values without the template-read keys, and those keys the template does not read."""
    values, problems = copy.deepcopy(values), []
    for path, template in TEMPLATE_READ.get(chart.name, {}).items():
        *parents, leaf = path.split(".")
        holder = values
        for part in parents:
            holder = holder.get(part, {})
        if leaf in holder:
            text = (CHARTS / template).read_text()
            problems += [f"{path}.{key}" for key in holder.pop(leaf) if f".Values.{path}.{key}" not in text]
    return values, problems


def check(chart: Chart, values: dict) -> list[str]:
    values, problems = template_read_problems(chart, values)
    return problems + _check(chart, values)


def _check(chart: Chart, values: dict) -> list[str]:
    defaults = chart_values(chart)
    for key, file in SUBCHARTS.get(chart.name, {}).items():
        defaults[key] = merged(yaml.safe_load((CHARTS / file).read_text()), defaults.get(key) or {})
    return unknown_keys(values, defaults)


def merged(base: dict, override: dict) -> dict:
    """A parent chart's values for a subchart, laid over the subchart's own, as Helm does."""
    out = dict(base)
    for key, value in override.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.mark.parametrize("spec", [
    GpuOperatorSpec(),
    GpuOperatorSpec(time_slicing=4, dcgm_service_monitor=True),
    GpuOperatorSpec(node_feature_discovery="preinstalled"),
])
@pytest.mark.parametrize("preinstalled", [True, False])
def test_gpu_operator_values_exist_in_the_chart(spec, preinstalled):
    values = helm_values(spec, driver_preinstalled=preinstalled, system=SYSTEM, gpu_taints=[GPU_TAINT])
    assert check(GPU_OPERATOR, values) == []


@pytest.mark.parametrize("version", sorted(AUTOSCALER_IMAGE_TAGS))
def test_cluster_autoscaler_values_exist_in_the_chart(version):
    values = autoscaler_values("c1", "eu-west-1", AUTOSCALER_IMAGE_TAGS[version], SYSTEM)
    assert check(CLUSTER_AUTOSCALER, values) == []


def test_the_aks_runtime_class_is_the_operators_own_key():
    """AKS names its NVIDIA containerd runtime nvidia-container-runtime (AgentBaker's containerd
    template); the chart's operator.runtimeClass (default `nvidia`) must say so there."""
    values = helm_values(GpuOperatorSpec(), driver_preinstalled=True, system=SYSTEM, gpu_taints=[GPU_TAINT],
                         runtime_class="nvidia-container-runtime")
    assert values["operator"]["runtimeClass"] == "nvidia-container-runtime"
    assert chart_values(GPU_OPERATOR)["operator"]["runtimeClass"] == "nvidia"
    assert check(GPU_OPERATOR, values) == []
    assert "runtimeClass" not in helm_values(GpuOperatorSpec(), driver_preinstalled=True, system=SYSTEM,
                                             gpu_taints=[GPU_TAINT])["operator"]


def test_a_template_read_key_is_checked_against_the_template():
    values = helm_values(GpuOperatorSpec(), driver_preinstalled=True, system=SYSTEM, gpu_taints=[GPU_TAINT])
    values["dcgmExporter"]["config"]["nmae"] = "typo"
    assert check(GPU_OPERATOR, values) == ["dcgmExporter.config.nmae"]


def test_the_check_catches_a_misspelt_key():
    values = helm_values(GpuOperatorSpec(), driver_preinstalled=True, system=SYSTEM, gpu_taints=[GPU_TAINT])
    values["dcgmExporter"]["serviceMonitr"] = {"enabled": True}
    values["node-feature-discovery"]["master"]["nodeSelectr"] = {}
    assert check(GPU_OPERATOR, values) == ["dcgmExporter.serviceMonitr", "node-feature-discovery.master.nodeSelectr"]


def test_gpu_operands_tolerate_the_gpu_taint_and_controllers_stay_on_the_system_pool():
    values = helm_values(GpuOperatorSpec(), driver_preinstalled=True, system=SYSTEM, gpu_taints=[GPU_TAINT])
    assert values["daemonsets"]["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert values["node-feature-discovery"]["worker"]["tolerations"] == values["daemonsets"]["tolerations"]
    assert values["operator"]["nodeSelector"]["llmstack.dev/pool"] == "system"
    assert all(t["key"] != "nvidia.com/gpu" for t in values["operator"]["tolerations"])
    for part in ("master", "gc"):
        assert values["node-feature-discovery"][part]["nodeSelector"] == SYSTEM.node_selector
    assert values["driver"] == {"enabled": False} and values["toolkit"] == {"enabled": False}


def test_time_slicing_config_is_selected_by_default():
    values = helm_values(GpuOperatorSpec(time_slicing=3), driver_preinstalled=True, system=SYSTEM, gpu_taints=[GPU_TAINT])
    config = values["devicePlugin"]["config"]
    assert config["create"] is True and config["default"] in config["data"], "without a default, sharing silently does not apply"
    sharing = yaml.safe_load(config["data"][config["default"]])
    assert sharing["sharing"]["timeSlicing"]["resources"] == [{"name": "nvidia.com/gpu", "replicas": 3}]


@pytest.mark.parametrize("storage_class", [None, "gp3"])
def test_monitoring_values_exist_in_the_charts(storage_class):
    from components.core.monitoring.spec import MonitoringSpec
    from components.core.monitoring.values import keda_values, kube_prometheus_stack_values

    values = kube_prometheus_stack_values(MonitoringSpec(storage_class=storage_class), SYSTEM, "grafana-admin")
    assert check(KUBE_PROMETHEUS_STACK, values) == []
    assert check(KEDA, keda_values(SYSTEM)) == []


# Envoy Gateway's `config.envoyGateway` is its EnvoyGateway configuration: the chart's values.yaml
# shows only part of it. The keys AI Gateway needs come from AI Gateway's own values files for this
# chart (tests/data/charts/README.md), laid over the chart's, as `helm -f` would.
AI_GATEWAY_EG_VALUES = ("ai-gateway-v1.1.0-envoy-gateway-values.yaml",
                        "ai-gateway-v1.1.0-envoy-gateway-values-token-ratelimit-addon.yaml",
                        "ai-gateway-v1.1.0-envoy-gateway-values-inference-pool-addon.yaml")


def test_inference_pools_are_listed_as_ai_gateway_lists_them():
    from components.core.gateway.values import envoy_gateway_values

    addon = yaml.safe_load((CHARTS / AI_GATEWAY_EG_VALUES[2]).read_text())["config"]["envoyGateway"]["extensionManager"]
    ours = envoy_gateway_values(SYSTEM, False, inference_pools=True)["config"]["envoyGateway"]["extensionManager"]
    assert ours["backendResources"] == addon["backendResources"]
    assert "backendResources" not in envoy_gateway_values(SYSTEM, False)["config"]["envoyGateway"]["extensionManager"]


@pytest.mark.parametrize("rate_limits", [True, False])
def test_envoy_gateway_values_exist_in_the_chart_or_ai_gateways_values(rate_limits):
    from components.core.catalog.charts import ENVOY_GATEWAY
    from components.core.gateway.values import envoy_gateway_values

    defaults = chart_values(ENVOY_GATEWAY)
    for file in AI_GATEWAY_EG_VALUES:
        defaults = merged(defaults, yaml.safe_load((CHARTS / file).read_text()))
    assert unknown_keys(envoy_gateway_values(SYSTEM, rate_limits), defaults) == []


def test_ai_gateway_values_exist_in_the_chart():
    from components.core.catalog.charts import AI_GATEWAY, AI_GATEWAY_CRDS
    from components.core.gateway.values import ai_gateway_values

    assert check(AI_GATEWAY, ai_gateway_values(SYSTEM)) == []
    assert chart_values(AI_GATEWAY_CRDS) is None, "the CRD chart takes no values"


@pytest.mark.parametrize("gateway_api", [True, False])
def test_cert_manager_values_exist_in_the_chart(gateway_api):
    """Both what goes through the component's Helm values and what goes through its typed arguments."""
    from components.core.catalog.charts import CERT_MANAGER
    from components.core.gateway.values import cert_manager_typed, cert_manager_values

    values = {**cert_manager_values(SYSTEM, gateway_api), **cert_manager_typed(SYSTEM)}
    assert check(CERT_MANAGER, values) == []
    # The component replaces these chart keys with its typed arguments: Helm values for them would be lost.
    assert not {"webhook", "cainjector", "startupapicheck", "tolerations", "affinity", "nodeSelector"} & \
        cert_manager_values(SYSTEM, gateway_api).keys()


def test_the_check_catches_a_misspelt_envoy_gateway_key():
    from components.core.catalog.charts import ENVOY_GATEWAY

    defaults = chart_values(ENVOY_GATEWAY)
    for file in AI_GATEWAY_EG_VALUES:
        defaults = merged(defaults, yaml.safe_load((CHARTS / file).read_text()))
    misspelt = {"config": {"envoyGateway": {"extensionApis": {"enableBackends": True}}}, "deployment": {"pods": {}}}
    assert unknown_keys(misspelt, defaults) == ["config.envoyGateway.extensionApis.enableBackends", "deployment.pods"]


def test_the_dcgm_collectors_are_the_default_list_and_the_xid_count():
    """A custom collectors list replaces the exporter's default whole: ours must keep every default row."""
    from components.core.catalog.metrics import DCGM_COLLECTED, GPU_XID_COUNT

    text = (CHARTS.parent / "dcgm" / "dcp-metrics-included.csv").read_text()
    upstream = [tuple(part.strip() for part in line.split(",", 2)) for line in text.splitlines()
                if line.strip() and not line.startswith("#")]
    assert list(DCGM_COLLECTED[:-1]) == upstream
    assert DCGM_COLLECTED[-1][:2] == (GPU_XID_COUNT.name, "gauge")
    values = helm_values(GpuOperatorSpec(), driver_preinstalled=True, system=SYSTEM, gpu_taints=[GPU_TAINT])
    rows = [line for line in values["dcgmExporter"]["config"]["data"].splitlines() if not line.startswith("#")]
    assert [row.split(",")[0] for row in rows] == [field for field, _, _ in DCGM_COLLECTED]
