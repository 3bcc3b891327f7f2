"""Grafana dashboards as code: the vLLM fleet (one model or all, through a variable) and the GPUs.

Every panel's PromQL is built here from the metric catalog; tests parse each expression with
promtool. Rate windows are fixed (5m) rather than Grafana's `$__rate_interval`, so that the exact
text Grafana runs is the text the tests check.

A panel has no unit of its own: each series is built by one of the functions below from a catalog
Metric, which gives the series its Grafana unit (the metric's, its rate's, or a ratio's), and a
panel takes the one unit its series share. A panel whose series disagree is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

from ..catalog import metrics as m
from ..catalog.metrics import Metric
from . import queries, values

MODEL_VAR = 'model_name=~"$model"'
UID_PREFIX = "llmstack-"
RATE_WINDOW = "5m"


@dataclass(frozen=True)
class Series:
    expr: str
    legend: str
    unit: str
    """Grafana unit id, from the metric catalog."""


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    series: tuple[Series, ...]

    def __post_init__(self) -> None:
        units = {s.unit for s in self.series}
        if len(units) != 1:
            raise ValueError(f"panel '{self.title}' shows series in units {sorted(units)}: one unit per panel")

    @property
    def unit(self) -> str:
        return self.series[0].unit


def value(metric: Metric, aggregation: str, selector: str, legend: str) -> Series:
    """A gauge, aggregated; scaled into the Grafana unit where Grafana has none for the metric's own."""
    if metric.kind != "gauge":
        raise ValueError(f"{metric} is a {metric.kind}: plot its rate or quantiles")
    expr = f"{aggregation} ({metric}{selector})"
    if metric.unit.grafana_factor != 1:
        expr = f"{expr} * {metric.unit.grafana_factor}"
    return Series(expr, legend, metric.unit.grafana)


def per_second(counter: Metric, by: str, selector: str, legend: str) -> Series:
    if counter.kind != "counter" or counter.unit.per_second is None:
        raise ValueError(f"{counter} is not a counter with a per-second unit")
    return Series(f"sum by ({by}) (rate({counter}{selector}[{RATE_WINDOW}]))", legend, counter.unit.per_second)


def ratio(part: Metric, whole: Metric, by: str, selector: str, legend: str) -> Series:
    """The share of `whole`'s rate that `part`'s is; both counters of one unit."""
    if part.unit != whole.unit or part.kind != "counter" or whole.kind != "counter":
        raise ValueError(f"{part} / {whole}: a ratio needs two counters of one unit")
    return Series(f"{per_second(part, by, selector, legend).expr} / {per_second(whole, by, selector, legend).expr}",
                  legend, m.FRACTION.grafana)


def quantiles(histogram: Metric, namespace: str) -> tuple[Series, ...]:
    if histogram.kind != "histogram":
        raise ValueError(f"{histogram} is not a histogram")
    selector = f'{{namespace="{namespace}",{MODEL_VAR}}}'
    return tuple(Series(queries.histogram_quantile(q, str(histogram), selector, RATE_WINDOW),
                        f"p{int(q * 100)} {{{{{m.MODEL_LABEL}}}}}", histogram.unit.grafana)
                 for q in (0.5, 0.95, 0.99))


def vllm_panels(namespace: str) -> list[Panel]:
    s = f'{{namespace="{namespace}",{MODEL_VAR}}}'
    by = m.MODEL_LABEL
    legend = f"{{{{{m.MODEL_LABEL}}}}}"
    return [
        Panel("Requests per second", "Finished requests per second, by model.",
              (per_second(m.REQUEST_SUCCESS, by, s, legend),)),
        Panel("End-to-end latency", "p50/p95/p99 from arrival to last token.", quantiles(m.E2E_LATENCY, namespace)),
        Panel("Time to first token", "Queueing plus prefill; what a streaming user waits for.", quantiles(m.TTFT, namespace)),
        Panel("Time per output token", "Gap between streamed tokens (decode speed).", quantiles(m.INTER_TOKEN_LATENCY, namespace)),
        Panel("Tokens per second", "Prompt (prefill) and generated (decode) tokens per second.",
              (per_second(m.PROMPT_TOKENS, by, s, f"prompt {legend}"),
               per_second(m.GENERATION_TOKENS, by, s, f"generation {legend}"))),
        Panel("Running and waiting requests", "Waiting requests drive the autoscaler; a growing queue means too few replicas.",
              (value(m.RUNNING, f"sum by ({by})", s, f"running {legend}"),
               value(m.WAITING, f"sum by ({by})", s, f"waiting {legend}"))),
        Panel("KV-cache usage", "Fraction of KV-cache blocks in use (the fullest pod); near 1, requests get preempted.",
              (value(m.KV_CACHE_USAGE, f"max by ({by})", s, legend),)),
        Panel("Prefix-cache hit rate", "Share of prompt tokens served from cached prefixes.",
              (ratio(m.PREFIX_CACHE_HITS, m.PREFIX_CACHE_QUERIES, by, s, legend),)),
        Panel("Preemptions per second", "Requests evicted from the KV cache and recomputed; any sustained rate costs throughput.",
              (per_second(m.PREEMPTIONS, by, s, legend),)),
    ]


def resting_panels(namespace: str, resting: Sequence[str]) -> list[Panel]:
    """Models that rest at zero: how often they wake, how long a wake takes, the requests held meanwhile
    and those that gave up; to weigh cold starts against the idle GPUs resting saves."""
    names = "|".join(sorted(resting))
    deployments = f'{{namespace="{namespace}",deployment=~"{names}"}}'
    pods = f'{{namespace="{namespace}",pod=~"({names})-[a-z0-9]+-[a-z0-9]+"}}'
    routes = f'{{route_namespace="{namespace}"}}'
    ready = f'{m.POD_READY}{{namespace="{namespace}",condition="true"}} == 1'
    wait = Series(f"max by (pod) ({m.POD_READY_TIME}{pods} - {m.POD_CREATED}{pods}) and on (pod) ({ready})",
                  "{{pod}}", m.POD_READY_TIME.unit.grafana)
    return [
        Panel("Replicas of models that rest at zero", "Each step up from 0 is a cold start; it stays up for the idle window "
              "after its last request.", (value(m.DEPLOYMENT_DESIRED, "max by (deployment)", deployments, "{{deployment}}"),)),
        Panel("Cold-start wait", "From a woken pod's creation to its readiness: a GPU node, the image and the weights, "
              "what the first request waits for.", (wait,)),
        Panel("Requests held or in flight at the interceptor", "Requests for models that rest at zero, held while one wakes "
              "or being answered.", (value(m.INTERCEPTOR_IN_FLIGHT, "sum by (route_name)", routes, "{{route_name}}"),)),
        Panel("Requests that gave up waiting", "Held to the end of the hold without a ready replica; clients got 503 with "
              "Retry-After (ModelWakeTimedOut).",
              (per_second(m.INTERCEPTOR_REQUESTS, "route_name",
                          f'{{route_namespace="{namespace}",code="{m.INTERCEPTOR_HOLD_TIMEOUT_CODE}"}}', "{{route_name}}"),)),
        Panel("Requests refused by a model's queue", "Past scaleToZero.queueLength (its share on each gateway proxy); "
              "clients got 429 with Retry-After.",
              (per_second(m.ENVOY_OVERFLOW, m.ENVOY_CLUSTER_LABEL,
                          f'{{{m.ENVOY_CLUSTER_LABEL}=~"httproute/{namespace}/({names})/rule/.*"}}',
                          f"{{{{{m.ENVOY_CLUSTER_LABEL}}}}}"),)),
    ]


def gpu_panels() -> list[Panel]:
    legend = "{{instance}} gpu {{gpu}}"
    by = "by (instance, gpu)"
    return [
        Panel("GPU utilization", "Time the GPU was busy.", (value(m.GPU_UTIL, f"avg {by}", "", legend),)),
        Panel("GPU memory used", "Framebuffer in use; vLLM reserves gpuMemoryUtilization of it at start.",
              (value(m.GPU_FB_USED, f"max {by}", "", legend),)),
        Panel("Power", "Board power draw.", (value(m.GPU_POWER, f"max {by}", "", legend),)),
        Panel("Temperature", "GPU die temperature.", (value(m.GPU_TEMP, f"max {by}", "", legend),)),
        Panel("SM clock", "Streaming-multiprocessor clock.", (value(m.GPU_SM_CLOCK, f"max {by}", "", legend),)),
        Panel("Last Xid", "Code of the last Xid the GPU reported (0: none); a new code is a new driver or hardware "
              "fault. A repeat of the same code does not change it: see the node's kernel log.",
              (value(m.GPU_XID, f"max {by}", "", legend),)),
    ]


def _panel_json(index: int, panel: Panel) -> dict:
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": panel.title,
        "description": panel.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
        "targets": [{"refId": chr(65 + i), "expr": s.expr, "legendFormat": s.legend} for i, s in enumerate(panel.series)],
    }


def _dashboard(uid: str, title: str, panels: list[Panel], variables: list[dict]) -> dict:
    return {
        "uid": UID_PREFIX + uid,
        "title": title,
        "tags": ["llmstack"],
        "timezone": "browser",
        "refresh": "30s",
        "schemaVersion": 39,
        "time": {"from": "now-3h", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"},
            *variables,
        ]},
        "panels": [_panel_json(i, panel) for i, panel in enumerate(panels)],
    }


def vllm_dashboard(namespace: str, resting: Sequence[str] = ()) -> dict:
    model = {
        "name": "model", "label": "Model", "type": "query", "includeAll": True, "multi": True,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "query": {"query": f'label_values({m.RUNNING}{{namespace="{namespace}"}}, {m.MODEL_LABEL})', "refId": "models"},
        "refresh": 2, "current": {"text": "All", "value": "$__all"},
    }
    panels = vllm_panels(namespace) + (resting_panels(namespace, resting) if resting else [])
    return _dashboard("vllm", "LLM serving (vLLM)", panels, [model])


def gpu_dashboard() -> dict:
    return _dashboard("gpus", "GPUs (DCGM)", gpu_panels(), [])


def expressions(dashboard: dict) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def configmap(name: str, namespace: str, dashboard: dict, labels: dict[str, str],
              sidecar: tuple[str, str] = (values.DASHBOARD_LABEL, values.DASHBOARD_LABEL_VALUE)) -> dict:
    """A ConfigMap the Grafana sidecar loads (`sidecar`: the label and value it selects), in a folder."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {**labels, sidecar[0]: sidecar[1]},
                     "annotations": {values.DASHBOARD_FOLDER_ANNOTATION: "LLM serving"}},
        "data": {f"{dashboard['uid']}.json": json.dumps(dashboard, indent=1, sort_keys=True)},
    }
