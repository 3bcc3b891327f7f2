"""The alert rules, checked and unit-tested with the real promtool (tools/prometheus_tools.py: Prometheus 3.14,
or Debian's 2.53 or 2.42 where GitHub is out of reach).

Every alert has at least one symptom, on which it must fire, and at least one healthy look-alike,
on which it must stay silent: the state a naive rule mistakes for the symptom (a cold start within
its budget, a scale-up, an old Xid that does not repeat, an idle model with no traffic). An alert
that cannot fire fails its symptom; one that cannot clear, or fires on normal operation, fails its
look-alike. `test_every_alert_has_a_symptom_and_a_look_alike` refuses an alert without both.

Series are named and labelled exactly as vLLM 0.33, the DCGM exporter, kubelet, kube-state-metrics
and Prometheus expose them (components/core/catalog/metrics.py). `make test` fetches promtool into
.tools/bin (tools/prometheus_tools.py), or uses the PATH's.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from components.core.monitoring.alerts import duration, rule_groups
from components.core.monitoring.spec import AlertedModel, AlertThresholds

NS = "llm"
MODEL = "Qwen/Qwen3-8B"
FAST = AlertedModel(deployment="qwen3-8b", served_name=MODEL, startup_budget_seconds=1200,
                    cache_claim="qwen3-8b-cache", cache_reports_volume_stats=True)
SLOW = AlertedModel(deployment="qwen-coder-32b", served_name="Qwen/Qwen2.5-Coder-32B-Instruct", startup_budget_seconds=2400,
                    cache_claim="qwen-coder-32b-cache", cache_reports_volume_stats=False)
RESTING = AlertedModel(deployment="qwen3-8b-fp8", served_name="Qwen/Qwen3-8B-FP8", startup_budget_seconds=1200,
                       cache_claim="qwen3-8b-fp8-cache", cache_reports_volume_stats=False, rests_at_zero=True)
GROUPS = rule_groups(NS, [FAST, SLOW, RESTING], AlertThresholds())
RULES = [rule for group in GROUPS for rule in group["rules"]]
ALERTS = {rule["alert"] for rule in RULES}

VLLM = f'namespace="{NS}",model_name="{MODEL}",pod="qwen3-8b-0",container="vllm",service="qwen3-8b"'
GPU = 'instance="10.0.1.7:9400",gpu="0",UUID="GPU-1",modelName="NVIDIA L40S",Hostname="ip-10-0-1-7"'
CLAIM = f'namespace="{NS}",persistentvolumeclaim="qwen3-8b-cache"'
KSM_SCRAPE = {"job": "kube-state-metrics", "instance": "10.0.0.5:8080", "service": "kube-state-metrics"}
KSM_POD = {"pod": "kube-state-metrics-0", "container": "kube-state-metrics"}


def text(labels: dict[str, str]) -> str:
    return ",".join(f'{key}="{value}"' for key, value in labels.items())


KSM = text(KSM_SCRAPE)


@dataclass(frozen=True)
class Scenario:
    story: str
    series: list[dict]
    evals: dict[str, list[dict]]
    """Evaluation time -> the alerts expected then (empty: silent)."""

    @property
    def fires(self) -> bool:
        return any(self.evals.values())


@dataclass(frozen=True)
class AlertCase:
    symptoms: list[Scenario]
    look_alikes: list[Scenario]

    def __post_init__(self) -> None:
        assert self.symptoms and all(s.fires for s in self.symptoms), "a symptom must fire at some evaluation"
        assert self.look_alikes, "an alert needs a healthy look-alike it must stay silent on"
        assert all(not s.fires for s in self.look_alikes), "a healthy look-alike must stay silent at every evaluation"


def rule_of(alert: str, model: AlertedModel | None = None) -> dict:
    (rule,) = [r for r in RULES if r["alert"] == alert and (model is None or r["labels"].get("model_name") == model.served_name)]
    return rule


def firing(alert: str, labels: dict, summary: str, model: AlertedModel | None = None) -> dict:
    rule = rule_of(alert, model)
    return {"exp_labels": {**rule["labels"], **labels},
            "exp_annotations": {"summary": summary, "runbook": rule["annotations"]["runbook"]}}


def series(name: str, labels: str, values: str) -> dict:
    return {"series": f"{name}{{{labels}}}", "values": values}


def buckets(le_counts: dict[str, str]) -> list[dict]:
    return [series("vllm:e2e_request_latency_seconds_bucket", f'{VLLM},le="{le}"', values) for le, values in le_counts.items()]


def pod_ready(pod: str, ready: str, not_ready: str) -> list[dict]:
    """kube_pod_status_ready as kube-state-metrics reports it: one series per condition, 1 on the current one."""
    labels = f'namespace="{NS}",pod="{pod}",uid="u-{pod}",{KSM}'
    return [series("kube_pod_status_ready", f'{labels},condition="true"', ready),
            series("kube_pod_status_ready", f'{labels},condition="false"', not_ready)]


def deployment(namespace: str, name: str, desired: str, available: str, updated: str | None = None) -> list[dict]:
    """kube_deployment_* as kube-state-metrics reports them; its own pod and container labels stay
    on these series, since they have no pod or container of their own."""
    labels = f'namespace="{namespace}",deployment="{name}",{text(KSM_POD)},{KSM}'
    return [series("kube_deployment_spec_replicas", labels, desired),
            series("kube_deployment_status_replicas_available", labels, available),
            series("kube_deployment_status_replicas_updated", labels, updated or desired)]


def replicas(model: AlertedModel, desired: str, available: str, updated: str | None = None) -> list[dict]:
    return deployment(NS, model.deployment, desired, available, updated)


def xid(values: str, *, code: str, instance: str = "10.0.1.7:9400", pod: str = "qwen3-8b-0") -> dict:
    labels = (f'instance="{instance}",gpu="0",UUID="GPU-1",modelName="NVIDIA L40S",Hostname="ip-10-0-1-7",'
              f'err_code="{code}",err_msg="x",pod="{pod}",namespace="{NS}",container="vllm"')
    return series("DCGM_FI_DEV_XID_ERRORS", labels, values)


def xid_count(values: str, *, code: str | None) -> dict:
    """DCGM_EXP_XID_ERRORS_COUNT as the exporter reports it: per code, and one zero series without `xid`."""
    labels = (f'instance="10.0.1.7:9400",gpu="0",UUID="GPU-1",modelName="NVIDIA L40S",Hostname="ip-10-0-1-7",window_size_in_ms="300000",'
              f'namespace="{NS}",pod="qwen3-8b-0",container="vllm"')
    return series("DCGM_EXP_XID_ERRORS_COUNT", labels + (f',xid="{code}"' if code else ""), values)


GPU_ON_NODE = {"instance": "10.0.1.7:9400", "gpu": "0", "Hostname": "ip-10-0-1-7", "node": "ip-10-0-1-7"}
"""A GPU alert's identity: the exporter's address, the GPU, and its node (as `node` for Alertmanager's inhibition)."""
NODE = "ip-10-0-2-9"


def pod_info(pod: str, values: str = "1x200") -> dict:
    """kube_pod_info as kube-state-metrics reports it: 1 per pod, with its node."""
    return series("kube_pod_info", f'namespace="{NS}",pod="{pod}",uid="u-{pod}",node="{NODE}",host_ip="10.0.2.9",{KSM}', values)


UP_LABELS = {"namespace": NS, "pod": "qwen3-8b-7c9d-abcde", "container": "vllm", "service": "qwen3-8b", "endpoint": "http",
             "job": "qwen3-8b", "instance": "10.0.3.4:8000"}
UP = text(UP_LABELS)


def unavailable(model: AlertedModel, missing: int) -> dict:
    return firing("VllmReplicasUnavailable", {"namespace": NS, "deployment": model.deployment},
                  f"{missing} replicas of {model.deployment} not available for its whole start-up budget "
                  f"({duration(model.startup_budget_seconds)})", model)


def interceptor_requests(code: str, values: str) -> dict:
    """interceptor_request_count_total as the interceptor's OpenTelemetry exporter reports it for the
    resting model's route, with the labels its ServiceMonitor's scrape adds."""
    labels = (f'route_namespace="{NS}",route_name="{RESTING.deployment}",code="{code}",method="POST",'
              'namespace="keda-http",service="keda-add-ons-http-interceptor-metrics",pod="keda-add-ons-http-interceptor-5f-x",'
              'job="keda-add-ons-http-interceptor-metrics",instance="10.0.4.2:2223",endpoint="metrics"')
    return series("interceptor_request_count_total", labels, values)


def wake_timed_out() -> dict:
    return firing("ModelWakeTimedOut", {"route_namespace": NS, "route_name": RESTING.deployment},
                  f"requests for {RESTING.deployment} gave up waiting for it to wake from zero", RESTING)


CASES: dict[str, AlertCase] = {
    "ModelWakeTimedOut": AlertCase(
        symptoms=[
            Scenario("the first request ever to give up waiting (its counter series is born at 1)",
                     [interceptor_requests("200", "0+1x60"), interceptor_requests("504", "_x10 1x50")],
                     {"12m": [wake_timed_out()], "40m": []}),
            Scenario("another one, long after the first",
                     [interceptor_requests("504", "1x30 2x30")], {"35m": [wake_timed_out()], "55m": []}),
        ],
        look_alikes=[
            Scenario("wakes that answer within the hold", [interceptor_requests("200", "0+1x60")], {"12m": [], "40m": []}),
            Scenario("an old timeout that does not repeat", [interceptor_requests("504", "1x60")], {"30m": [], "59m": []}),
        ]),
    "VllmLatencyP95High": AlertCase(
        symptoms=[Scenario("every request takes 30-60 s", buckets({"1": "0x30", "30": "0x30", "60": "0+10x30", "+Inf": "0+10x30"}),
                           {"15m": [firing("VllmLatencyP95High", {"model_name": MODEL},
                                           "p95 end-to-end latency of Qwen/Qwen3-8B is 58.5s")]})],
        look_alikes=[
            Scenario("an idle model with no traffic", buckets({"1": "40x30", "30": "40x30", "60": "40x30", "+Inf": "40x30"}),
                     {"15m": []}),
            Scenario("fast requests", buckets({"1": "0+10x30", "30": "0+10x30", "60": "0+10x30", "+Inf": "0+10x30"}), {"15m": []}),
        ]),
    "VllmRequestsQueued": AlertCase(
        symptoms=[Scenario("a queue that stays long", [series("vllm:num_requests_waiting", VLLM, "20x20")],
                           {"10m": [firing("VllmRequestsQueued", {"model_name": MODEL}, "20 requests waiting for Qwen/Qwen3-8B")]})],
        look_alikes=[
            Scenario("a burst the replicas drain within two minutes", [series("vllm:num_requests_waiting", VLLM, "0 0 20 20 0x16")],
                     {"4m": [], "10m": []}),
            Scenario("an idle model with no traffic", [series("vllm:num_requests_waiting", VLLM, "0x20")], {"10m": []}),
        ]),
    "VllmKvCacheNearlyFull": AlertCase(
        symptoms=[Scenario("the cache stays nearly full", [series("vllm:kv_cache_usage_perc", VLLM, "0.95x30")],
                           {"20m": [firing("VllmKvCacheNearlyFull", {"model_name": MODEL}, "KV cache of Qwen/Qwen3-8B is 95% full")]})],
        look_alikes=[
            Scenario("a few long prompts fill it for five minutes", [series("vllm:kv_cache_usage_perc", VLLM, "0.5x5 0.95x5 0.5x20")],
                     {"10m": [], "20m": []}),
            Scenario("an idle model with no traffic", [series("vllm:kv_cache_usage_perc", VLLM, "0x30")], {"20m": []}),
        ]),
    "VllmPodRestarting": AlertCase(
        symptoms=[Scenario("a crash loop", [series("kube_pod_container_status_restarts_total",
                                                   f'namespace="{NS}",pod="qwen3-8b-0",container="vllm"', "0+1x70"), pod_info("qwen3-8b-0")],
                           {"60m": [firing("VllmPodRestarting", {"namespace": NS, "pod": "qwen3-8b-0", "container": "vllm", "node": NODE},
                                           "vLLM container of qwen3-8b-0 restarted 60 times in an hour")]})],
        look_alikes=[
            Scenario("a single restart", [series("kube_pod_container_status_restarts_total",
                                                 f'namespace="{NS}",pod="qwen3-8b-0",container="vllm"', "0x10 1x60"), pod_info("qwen3-8b-0")],
                     {"70m": []}),
            Scenario("a crash loop that ended two hours ago", [series("kube_pod_container_status_restarts_total",
                                                                      f'namespace="{NS}",pod="qwen3-8b-0",container="vllm"',
                                                                      "0+1x20 20x160"), pod_info("qwen3-8b-0")],
                     {"180m": []}),
        ]),
    "VllmScrapeFailing": AlertCase(
        symptoms=[Scenario("a Ready pod whose /metrics cannot be scraped",
                           [series("up", UP, "0x20"), *pod_ready("qwen3-8b-7c9d-abcde", "1x20", "0x20"), pod_info("qwen3-8b-7c9d-abcde")],
                           {"10m": [firing("VllmScrapeFailing", {**UP_LABELS, "node": NODE},
                                           "Prometheus cannot scrape vLLM pod qwen3-8b-7c9d-abcde, which Kubernetes reports Ready")]})],
        look_alikes=[
            Scenario("a cold start: the pod refuses connections and is not Ready while it loads for 25 minutes",
                     [series("up", UP, "0x25 1x10"), *pod_ready("qwen3-8b-7c9d-abcde", "0x25 1x10", "1x25 0x10"), pod_info("qwen3-8b-7c9d-abcde")],
                     {"10m": [], "24m": [], "35m": []}),
            Scenario("a scale-up: the new pod loads while the old one serves",
                     [series("up", UP, "0x30"), *pod_ready("qwen3-8b-7c9d-abcde", "0x30", "1x30"),
                      series("up", UP.replace("abcde", "fghij"), "1x30"), *pod_ready("qwen3-8b-7c9d-fghij", "1x30", "0x30"),
                      pod_info("qwen3-8b-7c9d-abcde"), pod_info("qwen3-8b-7c9d-fghij")],
                     {"20m": []}),
            Scenario("one failed scrape", [series("up", UP, "1x10 0 1x10"), *pod_ready("qwen3-8b-7c9d-abcde", "1x21", "0x21"), pod_info("qwen3-8b-7c9d-abcde")],
                     {"11m": [], "15m": []}),
        ]),
    "VllmReplicasUnavailable": AlertCase(
        symptoms=[
            Scenario("a replica of the 20-minute model never becomes available", replicas(FAST, "2x40", "1x40"),
                     {"15m": [], "25m": [unavailable(FAST, 1)]}),
            Scenario("a crashed replica of the 40-minute model does not come back", replicas(SLOW, "1x60", "1x5 0x55"),
                     {"44m": [], "50m": [unavailable(SLOW, 1)]}),
            Scenario("a scale-up from 1 to 3: one new replica starts, the other never does",
                     replicas(FAST, "1x5 3x55", "1x15 2x45"), {"24m": [], "28m": [unavailable(FAST, 1)]}),
        ],
        look_alikes=[
            Scenario("a cold start within budget: the first replica loads in 15 minutes", replicas(FAST, "1x30", "0x15 1x15"),
                     {"14m": [], "30m": []}),
            Scenario("a scale-up within budget", replicas(FAST, "2x5 3x25", "2x20 3x10"), {"19m": [], "25m": []}),
            Scenario("the 40-minute model still loading at 35 minutes, past the other model's budget",
                     replicas(SLOW, "1x35", "0x35"), {"30m": [], "35m": []}),
            Scenario("a rollout replacing one pod at a time, each within budget, 45 minutes in all",
                     replicas(FAST, "3x60", "2x45 3x15", "1x15 2x15 3x30"), {"20m": [], "35m": [], "45m": [], "60m": []}),
            Scenario("successive scale-ups, each replica within budget, replicas missing for 25 minutes",
                     replicas(FAST, "2x5 3x10 4x30", "2x20 3x10 4x15"), {"20m": [], "30m": [], "45m": []}),
        ]),
    "KubeDeploymentReplicasMismatch": AlertCase(
        symptoms=[Scenario("another Deployment in the serving namespace misses its replica",
                           deployment(NS, "batch-proxy", "1x40", "0x40"),
                           {"20m": [firing("KubeDeploymentReplicasMismatch", {"namespace": NS, "deployment": "batch-proxy",
                                                                               **KSM_POD, **KSM_SCRAPE},
                                           f"Deployment {NS}/batch-proxy has not matched the expected number of replicas "
                                           "for longer than 15 minutes")]}),
                  Scenario("the gateway's controller misses a replica for 20 minutes",
                           deployment("envoy-gateway-system", "envoy-gateway", "2x40", "1x40"),
                           {"10m": [], "20m": [firing("KubeDeploymentReplicasMismatch",
                                                      {"namespace": "envoy-gateway-system", "deployment": "envoy-gateway",
                                                       **KSM_POD, **KSM_SCRAPE},
                                                      "Deployment envoy-gateway-system/envoy-gateway has not matched the expected "
                                                      "number of replicas for longer than 15 minutes")]})],
        look_alikes=[
            Scenario("a model loading for 35 minutes", deployment(NS, "qwen3-8b", "1x40", "0x35 1x5"),
                     {"20m": [], "34m": []}),
            Scenario("a slow rolling update that keeps making progress",
                     deployment("envoy-gateway-system", "envoy-gateway", "3x40", "2x30 3x10", "1x10 2x10 3x20"),
                     {"15m": [], "25m": [], "35m": []}),
        ]),
    "ModelCacheVolumeNearlyFull": AlertCase(
        symptoms=[Scenario("the EBS cache stays 95% full",
                           [series("kubelet_volume_stats_used_bytes", CLAIM, "95x30"),
                            series("kubelet_volume_stats_capacity_bytes", CLAIM, "100x30")],
                           {"20m": [firing("ModelCacheVolumeNearlyFull", {"namespace": NS, "persistentvolumeclaim": "qwen3-8b-cache"},
                                           "model cache qwen3-8b-cache is 95% full")]})],
        look_alikes=[
            Scenario("a cache 40% full", [series("kubelet_volume_stats_used_bytes", CLAIM, "40x30"),
                                          series("kubelet_volume_stats_capacity_bytes", CLAIM, "100x30")], {"20m": []}),
            Scenario("a new revision downloads next to the old one, which is then deleted",
                     [series("kubelet_volume_stats_used_bytes", CLAIM, "45x5 95x10 50x15"),
                      series("kubelet_volume_stats_capacity_bytes", CLAIM, "100x30")], {"15m": [], "25m": []}),
        ]),
    "GpuSaturated": AlertCase(
        symptoms=[Scenario("a GPU busy for 15 minutes", [series("DCGM_FI_DEV_GPU_UTIL", GPU, "99x30")],
                           {"20m": [firing("GpuSaturated", {"instance": "10.0.1.7:9400", "gpu": "0", "Hostname": "ip-10-0-1-7"},
                                           "GPU 0 on 10.0.1.7:9400 has been 99% busy for 15 minutes")]})],
        look_alikes=[
            Scenario("a busy but not saturated GPU", [series("DCGM_FI_DEV_GPU_UTIL", GPU, "60x30")], {"20m": []}),
            Scenario("a five-minute burst", [series("DCGM_FI_DEV_GPU_UTIL", GPU, "60x10 99x5 60x15")], {"16m": [], "20m": []}),
        ]),
    "GpuXidErrors": AlertCase(
        symptoms=[
            Scenario("the same Xid twice, minutes apart (the last-Xid gauge does not move)",
                     [xid_count("0x5 1x5 0x10 1x5 0x20", code="79"), xid("79x50", code="79")],
                     {"7m": [firing("GpuXidErrors", {**GPU_ON_NODE, "xid": "79"},
                                    "GPU 0 on 10.0.1.7:9400 reported Xid 79 1 times in the last 5 minutes")],
                      "15m": [],
                      "25m": [firing("GpuXidErrors", {**GPU_ON_NODE, "xid": "79"},
                                     "GPU 0 on 10.0.1.7:9400 reported Xid 79 1 times in the last 5 minutes")],
                      "40m": []}),
        ],
        look_alikes=[
            Scenario("a GPU with no Xid in the window", [xid_count("0x60", code=None)], {"5m": [], "60m": []}),
            Scenario("an Xid that left the window", [xid_count("2x5 0x55", code="48")], {"10m": [], "60m": []}),
        ]),
    "GpuXidError": AlertCase(
        symptoms=[
            Scenario("a first Xid on a healthy GPU, then no other",
                     [xid("0 0 0 stale", code="0"), xid("_ _ _ 79x40", code="79")],
                     {"5m": [firing("GpuXidError", GPU_ON_NODE, "GPU 0 on 10.0.1.7:9400 reported Xid 79")],
                      "30m": []}),
            Scenario("a new Xid long after an old one",
                     [xid("79x60 stale", code="79"), xid("_x61 48x20", code="48")],
                     {"30m": [], "65m": [firing("GpuXidError", GPU_ON_NODE,
                                                "GPU 0 on 10.0.1.7:9400 reported Xid 48")]}),
        ],
        look_alikes=[
            Scenario("an old Xid that does not repeat", [xid("79x120", code="79")], {"5m": [], "60m": [], "120m": []}),
            Scenario("a restarted exporter (new pod address) reports the old Xid again",
                     [xid("79x30 stale", code="79"), xid("_x32 79x30", code="79", instance="10.0.1.9:9400")],
                     {"35m": [], "50m": []}),
            Scenario("the GPU moves to another pod while holding an old Xid",
                     [xid("79x30 stale", code="79"), xid("_x31 79x30", code="79", pod="qwen3-8b-1")], {"35m": [], "50m": []}),
            Scenario("a new code where the exporter counts Xids (GpuXidErrors speaks for it)",
                     [xid("0x10 stale", code="0"), xid("_x11 79x30", code="79"), xid_count("0x11 1x5 0x25", code="79")],
                     {"13m": [], "20m": []}),
            Scenario("the driver reloads and the last Xid reads 0 again",
                     [xid("79x30 stale", code="79"), xid("_x31 0x30", code="0")], {"35m": [], "50m": []}),
        ]),
}

SCENARIOS = [(alert, kind, scenario) for alert, case in sorted(CASES.items())
             for kind, scenarios in (("symptom", case.symptoms), ("look-alike", case.look_alikes)) for scenario in scenarios]


def promtool() -> str:
    """The project's promtool (.tools/bin, fetched by `make test`), else the PATH's."""
    from tools.prometheus_tools import PROMTOOL, found

    path = found(PROMTOOL)
    assert path, "promtool is needed: `make prometheus-tools` fetches it, or put promtool on the PATH"
    return str(path)


@pytest.fixture(scope="module")
def rule_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": GROUPS}, sort_keys=False))
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=60)


def test_every_rule_file_passes_promtool_check(rule_file):
    proc = run("check", "rules", str(rule_file))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(RULES)} rules found" in proc.stdout


def test_every_alert_has_a_symptom_and_a_look_alike():
    assert set(CASES) == ALERTS, "every alert needs a case, and every case an alert"
    for alert, case in CASES.items():
        assert case.symptoms, f"{alert}: no symptom it must fire on"
        assert case.look_alikes, f"{alert}: no healthy look-alike it must stay silent on"


def test_a_case_without_a_look_alike_or_with_a_silent_symptom_is_refused():
    silent = Scenario("nothing happens", [], {"5m": []})
    loud = Scenario("it fires", [], {"5m": [{"exp_labels": {}}]})
    for symptoms, look_alikes in (([loud], []), ([silent], [silent]), ([loud], [loud])):
        with pytest.raises(AssertionError):
            AlertCase(symptoms=symptoms, look_alikes=look_alikes)
    AlertCase(symptoms=[loud], look_alikes=[silent])


@pytest.mark.parametrize("alert, kind, scenario", SCENARIOS, ids=[f"{a}-{k}-{s.story}" for a, k, s in SCENARIOS])
def test_alert_on_its_scenario(alert, kind, scenario, rule_file, tmp_path):
    tests = {
        "rule_files": [str(rule_file)],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": scenario.series,
                   "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": expected}
                                       for at, expected in scenario.evals.items()]}],
    }
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False))
    proc = run("test", "rules", str(path))
    assert proc.returncode == 0, f"{alert} {kind} '{scenario.story}':\n{proc.stdout}{proc.stderr}"


def test_each_model_waits_for_its_own_start_up_budget():
    for model, budget in ((FAST, "20m"), (SLOW, "40m")):
        expr = rule_of("VllmReplicasUnavailable", model)["expr"]
        assert f'deployment="{model.deployment}"' in expr
        assert set(re.findall(r"\[(\w+)\]|offset (\w+)", expr)) == {(budget, ""), ("", budget)}
        assert rule_of("VllmReplicasUnavailable", model)["for"] == "0m", "the budget is in the windows"


def test_the_cache_alert_covers_only_claims_kubelet_measures():
    expr = rule_of("ModelCacheVolumeNearlyFull")["expr"]
    assert FAST.cache_claim in expr and SLOW.cache_claim not in expr


def test_no_cache_alert_when_no_cache_is_measured():
    groups = rule_groups(NS, [SLOW], AlertThresholds())
    alerts = {rule["alert"] for group in groups for rule in group["rules"]}
    assert "ModelCacheVolumeNearlyFull" not in alerts and "VllmReplicasUnavailable" in alerts


def test_without_models_only_namespace_and_gpu_alerts_remain():
    groups = rule_groups(NS, [], AlertThresholds())
    assert [g["name"] for g in groups] == ["llmstack-serving", "llmstack-kubernetes", "llmstack-gpu"]


@pytest.mark.parametrize("seconds, text", [(1200, "20m"), (7200, "2h"), (90, "90s"), (2400, "40m")])
def test_budgets_are_written_as_prometheus_durations(seconds, text):
    assert duration(seconds) == text


def test_a_broken_expression_fails_the_check(tmp_path):
    broken = [{"name": "broken", "rules": [{**rule_of("VllmRequestsQueued"), "expr": "sum by (model_name (vllm:num_requests_waiting)"}]}]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump({"groups": broken}))
    proc = run("check", "rules", str(path))
    assert proc.returncode != 0 and "parse error" in (proc.stdout + proc.stderr)


def test_every_dashboard_and_autoscaler_expression_parses(tmp_path):
    """Each PromQL text Grafana or KEDA will run, parsed by promtool as a recording rule."""
    from components.core.monitoring import dashboards, queries

    exprs = [*dashboards.expressions(dashboards.vllm_dashboard(NS, [RESTING.deployment])),
             *dashboards.expressions(dashboards.gpu_dashboard()),
             queries.waiting(NS, MODEL)]
    rules = [{"record": f"llmstack:check_{i}", "expr": expr} for i, expr in enumerate(exprs)]
    path = tmp_path / "exprs.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "expressions", "rules": rules}]}))
    proc = run("check", "rules", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(exprs) >= 20


def test_chart_rules_that_fire_on_start_up_are_disabled_and_replaced():
    from components.core.cluster import SystemPlacement
    from components.core.monitoring.alerts import REPLACED_CHART_RULES
    from components.core.monitoring.spec import MonitoringSpec
    from components.core.monitoring.values import kube_prometheus_stack_values

    values = kube_prometheus_stack_values(MonitoringSpec(), SystemPlacement(), "grafana-admin")
    assert values["defaultRules"]["disabled"] == {name: True for name in REPLACED_CHART_RULES}
    assert set(REPLACED_CHART_RULES) <= ALERTS
    (rule,) = [r for r in RULES if r["alert"] == "KubeDeploymentReplicasMismatch"]
    assert f'deployment=~"{SLOW.deployment}|{FAST.deployment}|{RESTING.deployment}"' in rule["expr"]
