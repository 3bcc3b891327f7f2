"""Units and storage facts the dashboards and alerts are built from: a panel shows its metric in the
metric's own unit, and a claim is alerted on only where kubelet measures it."""

from __future__ import annotations

import json

import pytest

from components.core.catalog import metrics as m
from components.core.catalog.storage import reports_claim_volume_stats
from components.core.cluster import StorageClassInfo
from components.core.monitoring import dashboards

# Grafana unit ids, from grafana/grafana packages/grafana-data/src/valueFormats/categories.ts.
GRAFANA_UNITS = {"none", "short", "percent", "percentunit", "bytes", "mbytes", "decmbytes", "s", "reqps", "watt",
                 "celsius", "hertz"}
METRICS = [value for value in vars(m).values() if isinstance(value, m.Metric)]


def panels(board: dict) -> dict[str, dict]:
    return {panel["title"]: panel for panel in board["panels"]}


def test_gpu_memory_is_shown_in_mebibytes_as_dcgm_reports_it():
    panel = panels(dashboards.gpu_dashboard())["GPU memory used"]
    assert m.GPU_FB_USED.name in panel["targets"][0]["expr"]
    assert panel["fieldConfig"]["defaults"]["unit"] == "mbytes"


def test_every_catalog_unit_is_a_grafana_unit():
    for metric in METRICS:
        assert metric.unit.grafana in GRAFANA_UNITS, metric
        assert metric.unit.per_second in GRAFANA_UNITS | {None}, metric


@pytest.mark.parametrize("board", [dashboards.vllm_dashboard("llm"), dashboards.gpu_dashboard()], ids=["vllm", "gpus"])
def test_every_panel_unit_is_that_of_the_metrics_it_plots(board):
    """Each panel's unit is its metrics' unit, their rate's, or (a ratio of two) a fraction."""
    for panel in board["panels"]:
        unit = panel["fieldConfig"]["defaults"]["unit"]
        plotted = [metric for metric in METRICS for target in panel["targets"] if metric.name in target["expr"]]
        assert plotted, panel["title"]
        allowed = {u for metric in plotted for u in (metric.unit.grafana, metric.unit.per_second)} | {m.FRACTION.grafana}
        assert unit in allowed, (panel["title"], unit)


def test_a_clock_in_mhz_is_scaled_into_grafanas_hertz():
    panel = panels(dashboards.gpu_dashboard())["SM clock"]
    assert panel["fieldConfig"]["defaults"]["unit"] == "hertz" and panel["targets"][0]["expr"].endswith("* 1000000")


def test_a_panel_cannot_mix_units():
    with pytest.raises(ValueError, match="units"):
        dashboards.Panel("memory and power", "", (dashboards.value(m.GPU_FB_USED, "max", "", "a"),
                                                  dashboards.value(m.GPU_POWER, "max", "", "b")))


def test_series_builders_refuse_the_wrong_kind_of_metric():
    with pytest.raises(ValueError):
        dashboards.value(m.PROMPT_TOKENS, "sum", "", "tokens")
    with pytest.raises(ValueError):
        dashboards.per_second(m.WAITING, "model_name", "", "waiting")
    with pytest.raises(ValueError):
        dashboards.ratio(m.PREFIX_CACHE_HITS, m.REQUEST_SUCCESS, "model_name", "", "hits per request")


def test_the_dashboard_json_carries_the_units():
    board = json.loads(next(iter(dashboards.configmap("d", "monitoring", dashboards.gpu_dashboard(), {})["data"].values())))
    assert {p["title"]: p["fieldConfig"]["defaults"]["unit"] for p in board["panels"]}["Power"] == "watt"


@pytest.mark.parametrize("provisioner, measured", [
    ("ebs.csi.aws.com", True), ("efs.csi.aws.com", False), ("rancher.io/local-path", False), ("example.com/unknown", False),
])
def test_storage_classes_report_claim_stats_only_where_kubelet_measures_the_claim(provisioner, measured):
    assert reports_claim_volume_stats(provisioner) is measured
    klass = StorageClassInfo(name="c", provisioner=provisioner, access_modes=["ReadWriteOnce"])
    assert klass.reports_volume_stats is measured
