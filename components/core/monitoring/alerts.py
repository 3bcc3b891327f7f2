"""Alert rules for the serving stack: each with a severity, a summary and a runbook in its
annotations. Rendered into a PrometheusRule, and checked and unit-tested with the real promtool:
every alert fires on its symptom and stays silent on the healthy state that looks most like it.

What each alert covers:
- VllmLatencyP95High, VllmRequestsQueued, VllmKvCacheNearlyFull: every model in the serving
  namespace that reports the metric; a model with no traffic has no latency quantile and stays silent.
- VllmPodRestarting: every vLLM container in the namespace (kube-state-metrics' restart counter).
- VllmScrapeFailing: vLLM pods Kubernetes reports Ready that Prometheus cannot scrape. A pod still
  loading its weights is not Ready and refuses connections; that is start-up, not this alert.
- VllmReplicasUnavailable: one rule per model, over the model's own start-up budget: a replica
  desired throughout the last budget was available at no moment of it. Covers pods that never
  schedule (no GPU node), never load, or crash and do not come back, each once it has had its whole
  budget. Silent while each start-up takes less than the budget, however they overlap: a cold start,
  successive scale-ups, a rollout that replaces one pod at a time.
- ModelWakeTimedOut: one rule per model that rests at zero: a request KEDA's interceptor held while
  the model woke gave up at the end of the hold (the interceptor counts it as a 504).
- ModelCacheVolumeNearlyFull: only caches whose storage class has kubelet volume stats that measure
  the claim (catalog/storage.py: EBS yes; EFS and local-path/hostPath no). Without such a cache the
  rule is left out rather than written to never fire.
- KubeDeploymentReplicasMismatch: kube-prometheus' rule of that name (the chart's copy is disabled,
  values.py), for every Deployment but the models': its 15 minutes are shorter than a model's
  start-up, so for models VllmReplicasUnavailable takes its place.
- GpuSaturated: every GPU the DCGM exporter reports.
- GpuXidErrors: every Xid event, repeats of the same code included, on GPUs whose exporter counts
  them (DCGM_EXP_XID_ERRORS_COUNT: the GPU Operator this stack installs is configured to collect it);
  it clears when no Xid is left in the exporter's window (5 minutes).
- GpuXidError: on GPUs whose exporter does not count Xids (a cluster's own GPU Operator with the
  default metrics), a new Xid code (DCGM_FI_DEV_XID_ERRORS holds the last code seen, so a code that
  differs from the one before is a new fault); it clears XID_WINDOW after the last new code. A repeat
  of the same code is invisible there: collect DCGM_EXP_XID_ERRORS_COUNT (catalog/metrics.py DCGM_COLLECTED).
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..catalog import metrics as m
from ..cluster import StorageClassInfo
from ..manifests.cache import claim_name
from ..model import ModelSpec
from . import queries
from .spec import AlertedModel, AlertThresholds

REPLACED_CHART_RULES = ("KubeDeploymentReplicasMismatch",)
"""kube-prometheus-stack default rules that would fire on every model start-up longer than their
`for`; the chart's copies are disabled and the rules below cover what they covered elsewhere."""
XID_WINDOW = "10m"
"""How long a new Xid keeps GpuXidError firing; long enough for Alertmanager to send it."""
GPU_BY = f"instance, gpu, {m.GPU_NODE_LABEL}"
"""A GPU's identity across DCGM series: its other labels change when the GPU moves between pods."""
NODE = "node"
"""The label naming a Kubernetes node on the alerts of pods and GPUs, as on the chart's node alerts:
Alertmanager silences a pod's alerts while its node or GPU is down by it (alertmanager.py)."""


def on_node(expr: str, namespace: str) -> str:
    """A per-pod expression with its pod's node as a label (the value is unchanged: kube_pod_info is 1)."""
    return (f"({expr}) * on (namespace, pod) group_left ({NODE}) "
            f'max by (namespace, pod, {NODE}) ({m.POD_INFO}{{namespace="{namespace}"}})')


def with_node(expr: str) -> str:
    """A per-GPU expression with the GPU's node as `node`, from the DCGM exporter's node label."""
    return f'label_replace({expr}, "{NODE}", "$1", "{m.GPU_NODE_LABEL}", "(.*)")' 


def _alert(name: str, expr: str, wait: str, severity: str, summary: str, runbook: str,
           labels: dict[str, str] | None = None) -> dict:
    return {
        "alert": name,
        "expr": expr,
        "for": wait,
        "labels": {"severity": severity, **(labels or {})},
        "annotations": {"summary": summary, "runbook": runbook},
    }


def duration(seconds: int) -> str:
    """A Prometheus duration, in the largest whole unit: 1200 -> 20m, 7200 -> 2h, 90 -> 90s."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def rule_groups(namespace: str, models: Sequence[AlertedModel], thresholds: AlertThresholds) -> list[dict]:
    """Serving alerts (namespace-wide), per-model alerts and GPU alerts; empty groups are left out."""
    groups = [
        ("llmstack-serving", serving_rules(namespace, models, thresholds)),
        ("llmstack-models", [model_rule(namespace, model) for model in models]
         + [wake_rule(namespace, model) for model in models if model.rests_at_zero]),
        ("llmstack-kubernetes", [deployment_rule(namespace, models)]),
        ("llmstack-gpu", gpu_rules(thresholds)),
    ]
    return [{"name": name, "rules": rules} for name, rules in groups if rules]


def serving_rules(namespace: str, models: Sequence[AlertedModel], thresholds: AlertThresholds) -> list[dict]:
    vllm = f'namespace="{namespace}",container="vllm"'
    rules = [
        _alert("VllmLatencyP95High", f"{queries.latency_quantile(0.95, namespace)} > {thresholds.latency_p95_seconds}", "5m", "warning",
               "p95 end-to-end latency of {{ $labels.model_name }} is {{ $value | humanizeDuration }}",
               "Requests queue or decode slowly. Check waiting requests and KV-cache usage on the model's dashboard; "
               "if both are high, raise replicas.max or the pool's maxNodes; if not, look for preemptions or a slow node."),
        _alert("VllmRequestsQueued", f"{queries.waiting_by_model(namespace)} > {thresholds.waiting_requests}", "3m", "warning",
               "{{ $value }} requests waiting for {{ $labels.model_name }}",
               "The autoscaler is not keeping up. Check the model's ScaledObject and whether new pods are Pending "
               "(GPU nodes scaling up, quota, or replicas.max reached)."),
        _alert("VllmKvCacheNearlyFull", f"{queries.kv_cache_usage_by_model(namespace)} > {thresholds.kv_cache_usage}", "10m", "warning",
               "KV cache of {{ $labels.model_name }} is {{ $value | humanizePercentage }} full",
               "Long contexts fill the cache and requests get preempted. Add replicas, use kvCacheDtype fp8, or lower maxModelLen."),
        _alert("VllmPodRestarting", on_node(f"increase({m.POD_RESTARTS}{{{vllm}}}[1h]) > 1", namespace), "0m", "warning",
               "vLLM container of {{ $labels.pod }} restarted {{ $value }} times in an hour",
               "Look at the previous container's log (kubectl logs --previous): out of memory, a failed health check "
               "during load (raise startupTimeoutSeconds), or a GPU fault (see GPU alerts)."),
        _alert("VllmScrapeFailing",
               on_node(f"{m.SCRAPE_UP}{{{vllm}}} == 0 "
                       f'and on (namespace, pod) {m.POD_READY}{{namespace="{namespace}",condition="true"}} == 1', namespace),
               "5m", "warning",
               "Prometheus cannot scrape vLLM pod {{ $labels.pod }}, which Kubernetes reports Ready",
               "The pod passes its health check but /metrics fails, so its queue is invisible to the autoscaler and the "
               "alerts. Check the target's error on Prometheus' Targets page, the namespace's NetworkPolicy for Prometheus, "
               "and the ServiceMonitor's port."),
    ]
    cache = cache_rule(namespace, models, thresholds)
    return rules + ([cache] if cache else [])


def cache_rule(namespace: str, models: Sequence[AlertedModel], thresholds: AlertThresholds) -> dict | None:
    """ModelCacheVolumeNearlyFull over the caches kubelet measures; None when it measures none."""
    claims = sorted({model.cache_claim for model in models if model.cache_reports_volume_stats})
    if not claims:
        return None
    selector = f'{{namespace="{namespace}",persistentvolumeclaim=~"{"|".join(claims)}"}}'
    return _alert("ModelCacheVolumeNearlyFull",
                  f"{m.VOLUME_USED}{selector} / {m.VOLUME_CAPACITY}{selector} > {thresholds.cache_volume_usage}", "15m",
                  "warning", "model cache {{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full",
                  "A new revision will not fit. Delete old revisions from the volume or raise cache.size.")


def model_rule(namespace: str, model: AlertedModel) -> dict:
    """VllmReplicasUnavailable for one model, B its start-up budget: the most replicas available at
    any moment of the last B is below the fewest desired in it, so that many replicas desired all
    along never came up. Not before the Deployment is B old (a new model's first start is not late
    yet), and not while a rollout step happened in the last B (a rollout that replaces one pod at a
    time keeps one replica missing throughout, each new pod starting in time). The value is the
    number of replicas missing; kube-state-metrics' own labels (its pod, job) are aggregated away."""
    selector = f'{{namespace="{namespace}",deployment="{model.deployment}"}}'
    budget = duration(model.startup_budget_seconds)
    by = "by (namespace, deployment)"
    missing = (f"min {by} (min_over_time({m.DEPLOYMENT_DESIRED}{selector}[{budget}])) "
               f"- max {by} (max_over_time({m.DEPLOYMENT_AVAILABLE}{selector}[{budget}])) > 0")
    rolling = f"max {by} (delta({m.DEPLOYMENT_UPDATED}{selector}[{budget}])) > 0"
    existed = f"max {by} ({m.DEPLOYMENT_DESIRED}{selector} offset {budget})"
    return _alert("VllmReplicasUnavailable",
                  f"({missing}) unless on (namespace, deployment) ({rolling}) and on (namespace, deployment) {existed}",
                  "0m", "critical",
                  f"{{{{ $value }}}} replicas of {model.deployment} not available for its whole start-up budget ({budget})",
                  "A replica that has not started within its whole budget will not start on its own. kubectl describe the "
                  "model's Pending or unready pods: no GPU node (the pool's maxNodes, quota, spot capacity), the "
                  "wait-for-cache init container (the populate Job), or the startup probe killing a slow load (raise "
                  "startupTimeoutSeconds).",
                  labels={m.MODEL_LABEL: model.served_name})


WAKE_WINDOW = "15m"
"""How long ModelWakeTimedOut keeps firing after the last request that gave up waiting."""


def wake_rule(namespace: str, model: AlertedModel) -> dict:
    """ModelWakeTimedOut for a model that rests at zero: a request held for it gave up (the interceptor's
    504 at the end of the hold; clients got 503 with Retry-After) in the last WAKE_WINDOW. The counter
    series of that code is born at its first such request, which increase() cannot see, so a series
    that did not exist WAKE_WINDOW ago counts too."""
    selector = (f'{{route_namespace="{namespace}",route_name="{model.deployment}",'
                f'code="{m.INTERCEPTOR_HOLD_TIMEOUT_CODE}"}}')
    by = "sum by (route_namespace, route_name)"
    timeouts = f"{m.INTERCEPTOR_REQUESTS}{selector}"
    expr = (f"{by} (increase({timeouts}[{WAKE_WINDOW}])) > 0 "
            f"or {by} ({timeouts} unless {timeouts} offset {WAKE_WINDOW})")
    return _alert("ModelWakeTimedOut", expr, "0m", "warning",
                  f"requests for {model.deployment} gave up waiting for it to wake from zero",
                  "The hold (scaleToZero.maxWaitSeconds, at most the planned cold start) ended before a replica was "
                  "ready; clients got 503 with Retry-After. kubectl describe the model's pod: no GPU node yet (quota, "
                  "spot capacity, maxNodes), a slow image pull, or a slow load. If cold starts are simply longer than "
                  "planned, raise maxWaitSeconds (and startupTimeoutSeconds).",
                  labels={m.MODEL_LABEL: model.served_name})


def deployment_rule(namespace: str, models: Sequence[AlertedModel]) -> dict:
    """kube-prometheus' KubeDeploymentReplicasMismatch (kubernetes-apps group, as kube-prometheus-stack
    88.5.3 renders it: fewer available replicas than desired and no rollout progress in 10 minutes,
    for 15 minutes), for every Deployment but the models'."""
    expr = (f"({m.DEPLOYMENT_DESIRED} > {m.DEPLOYMENT_AVAILABLE}) "
            f"and (changes({m.DEPLOYMENT_UPDATED}[10m]) == 0)")
    if models:
        names = "|".join(sorted(model.deployment for model in models))
        expr += f' unless on (namespace, deployment) {m.DEPLOYMENT_DESIRED}{{namespace="{namespace}",deployment=~"{names}"}}'
    return _alert("KubeDeploymentReplicasMismatch", expr, "15m", "warning",
                  "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has not matched the expected number of "
                  "replicas for longer than 15 minutes",
                  "kubectl describe the Deployment's unavailable pods (Pending: no node fits; CrashLoopBackOff: the "
                  "container's log). Model Deployments are covered by VllmReplicasUnavailable instead.")


def alerted_model(model: ModelSpec, cache_class: StorageClassInfo, cold_start_seconds: Optional[int] = None) -> AlertedModel:
    """What the alerts need of a resolved model (its plan's model: the start-up budget is set). A model
    that rests at zero gets its whole planned cold start (`cold_start_seconds`: a GPU node, the image,
    the start-up budget), as every wake starts from no node: VllmReplicasUnavailable stays silent
    through an ordinary cold start."""
    assert model.startup_timeout_seconds is not None, "a resolved model carries its start-up budget"
    return AlertedModel(deployment=model.name, served_name=model.served_name,
                        startup_budget_seconds=cold_start_seconds or model.startup_timeout_seconds, cache_claim=claim_name(model),
                        rests_at_zero=cold_start_seconds is not None,
                        cache_reports_volume_stats=cache_class.reports_volume_stats)


def gpu_rules(thresholds: AlertThresholds) -> list[dict]:
    last_xid = f"max by ({GPU_BY}) ({m.GPU_XID})"
    return [
        _alert("GpuSaturated", f"avg by ({GPU_BY}) (avg_over_time({m.GPU_UTIL}[15m])) > {thresholds.gpu_utilization}", "0m",
               "info", "GPU {{ $labels.gpu }} on {{ $labels.instance }} has been {{ $value }}% busy for 15 minutes",
               "Sustained saturation is expected under load; if latency alerts fire too, add capacity."),
        _alert("GpuXidErrors", with_node(f"max by ({GPU_BY}, xid) ({m.GPU_XID_COUNT}) > 0"), "0m", "critical",
               "GPU {{ $labels.gpu }} on {{ $labels.instance }} reported Xid {{ $labels.xid }} {{ $value }} times in "
               f"the last {m.XID_COUNT_WINDOW_MS // 60000} minutes",
               "Xid errors mean a driver or hardware fault (NVIDIA's Xid catalogue names each). Cordon and drain the node; "
               "if the same code keeps coming back, replace the instance."),
        _alert("GpuXidError", with_node(f"({last_xid} > 0 and changes({last_xid}[{XID_WINDOW}:1m]) > 0) "
                                        f"unless on ({GPU_BY}) {m.GPU_XID_COUNT}"), "0m", "critical",
               "GPU {{ $labels.gpu }} on {{ $labels.instance }} reported Xid {{ $value }}",
               "Xid errors mean a driver or hardware fault (NVIDIA's Xid catalogue names each). Cordon and drain the node; "
               "if it repeats, replace the instance. The alert clears by itself after "
               f"{XID_WINDOW}: check the node's kernel log (dmesg | grep -i xid) for repeats of the same code, which the "
               f"exporter's last-Xid gauge cannot show (collect {m.GPU_XID_COUNT} to see them)."),
    ]
