"""Metrics the dashboards, alerts and autoscaler query, as the pinned versions expose them: each
with its name, its kind and its unit. A dashboard panel takes its unit from here (see
monitoring/dashboards.py), so a panel cannot show a metric in a unit the metric is not in.

vLLM 0.33.0 (vllm/v1/metrics/loggers.py; labels `model_name` = the served model name, `engine`):
gauges num_requests_running (L528), num_requests_waiting (L538), kv_cache_usage_perc (L620, a 0-1
fraction); counters (exposed with `_total`) prompt_tokens (L748), generation_tokens (L799),
request_success (L809, label finished_reason), num_preemptions (L739), prefix_cache_queries (L662),
prefix_cache_hits (L673), the last two counting prompt tokens; histograms (seconds)
time_to_first_token_seconds (L931), inter_token_latency_seconds (L941), e2e_request_latency_seconds
(L961), request_queue_time_seconds. The pre-0.11 names (gpu_cache_usage_perc,
time_per_output_token_seconds) are gone in 0.33.

DCGM exporter (the GPU Operator v26.7.0's dcgm-exporter 4.6.0-4.8.3; the operator's DaemonSet sets
DCGM_EXPORTER_COLLECTORS=/etc/dcgm-exporter/dcp-metrics-included.csv, assets/state-dcgm-exporter):
gauges with labels gpu, UUID, device, modelName, the node's host name, and pod/namespace/container for
GPUs allocated to a pod. Units are the CSV's help texts (NVIDIA/dcgm-exporter etc/dcp-metrics-included.csv,
same at tag 4.5.3-4.8.2 and after): GPU_UTIL "in %", FB_USED/FB_FREE "in MiB", POWER_USAGE "in W",
GPU_TEMP "in C", SM_CLOCK "in MHz". XID_ERRORS is "Value of the last XID error encountered": an Xid
code, not a count; the exporter also labels it err_code and err_msg (internal/pkg/collector/
gpu_collector.go), so each new code is a new series. The exporter's windowed count
DCGM_EXP_XID_ERRORS_COUNT (labels xid and window_size_in_ms; one series of value 0 without `xid` for
a GPU with none; internal/pkg/collector/xid_collector.go) counts the Xid events of each code in the
last DCGM_EXPORTER_XID_COUNT_WINDOW_SIZE ms. It is collected only when listed in the collectors CSV,
which the default one does not: where the stack installs the GPU Operator it gives the exporter
DCGM_COLLECTED, the default list plus that row (a custom list replaces the default whole).

kube-state-metrics v2.20.0 (the kube-prometheus-stack 88.5.3 subchart 8.4.0's appVersion;
docs/metrics/workload/{pod,deployment}-metrics.md; scraped with honorLabels, so `namespace` and `pod`
are the object's):
kube_pod_container_status_restarts_total, kube_pod_status_ready (label condition=true|false|unknown,
1 for the pod's current one), kube_deployment_spec_replicas, kube_deployment_status_replicas_available,
kube_deployment_status_replicas_updated (labels namespace, deployment), kube_pod_info (1 per pod, with
its node). Kubelet:
kubelet_volume_stats_{used,capacity}_bytes (labels namespace, persistentvolumeclaim), reported only
for volumes whose plugin measures them (catalog/storage.py).
Prometheus: `up`, 1 when the target's last scrape succeeded, 0 when it failed; the Prometheus
Operator labels targets of a ServiceMonitor with namespace, service, pod and container
(prometheus-operator pkg/prometheus/promcfg.go) and scrapes Running pods, ready or not.

Grafana unit ids: grafana/grafana packages/grafana-data/src/valueFormats/categories.ts. `mbytes` is
mebibytes (binary prefixes), `decmbytes` megabytes (SI); `hertz` is Grafana's only frequency unit, so
a value in MHz is multiplied into Hz; Grafana has no tokens unit, so token counts show as `short`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional


@dataclass(frozen=True)
class Unit:
    name: str
    grafana: str
    """Grafana unit id of a value in this unit."""
    per_second: Optional[str] = None
    """Grafana unit id of the per-second rate of a counter in this unit; None where a rate means nothing."""
    grafana_factor: int = 1
    """What a value is multiplied by to be in `grafana`'s unit."""


SECONDS = Unit("seconds", "s")
REQUESTS = Unit("requests", "short", per_second="reqps")
TOKENS = Unit("tokens", "short", per_second="short")
EVENTS = Unit("events", "short", per_second="short")
REPLICAS = Unit("replicas", "short")
FRACTION = Unit("fraction (0-1)", "percentunit")
PERCENT = Unit("percent (0-100)", "percent")
MEBIBYTES = Unit("MiB", "mbytes")
BYTES = Unit("bytes", "bytes")
WATTS = Unit("W", "watt")
CELSIUS = Unit("degrees Celsius", "celsius")
MEGAHERTZ = Unit("MHz", "hertz", grafana_factor=1_000_000)
CODE = Unit("code", "none")
BOOLEAN = Unit("0 or 1", "none")

Kind = Literal["gauge", "counter", "histogram"]


@dataclass(frozen=True)
class Metric:
    name: str
    kind: Kind
    unit: Unit

    def __str__(self) -> str:
        return self.name


# vLLM
RUNNING = Metric("vllm:num_requests_running", "gauge", REQUESTS)
WAITING = Metric("vllm:num_requests_waiting", "gauge", REQUESTS)
KV_CACHE_USAGE = Metric("vllm:kv_cache_usage_perc", "gauge", FRACTION)
PROMPT_TOKENS = Metric("vllm:prompt_tokens_total", "counter", TOKENS)
GENERATION_TOKENS = Metric("vllm:generation_tokens_total", "counter", TOKENS)
REQUEST_SUCCESS = Metric("vllm:request_success_total", "counter", REQUESTS)
PREEMPTIONS = Metric("vllm:num_preemptions_total", "counter", EVENTS)
PREFIX_CACHE_QUERIES = Metric("vllm:prefix_cache_queries_total", "counter", TOKENS)
PREFIX_CACHE_HITS = Metric("vllm:prefix_cache_hits_total", "counter", TOKENS)
TTFT = Metric("vllm:time_to_first_token_seconds", "histogram", SECONDS)
INTER_TOKEN_LATENCY = Metric("vllm:inter_token_latency_seconds", "histogram", SECONDS)
E2E_LATENCY = Metric("vllm:e2e_request_latency_seconds", "histogram", SECONDS)
MODEL_LABEL = "model_name"

# DCGM exporter
GPU_UTIL = Metric("DCGM_FI_DEV_GPU_UTIL", "gauge", PERCENT)
GPU_FB_USED = Metric("DCGM_FI_DEV_FB_USED", "gauge", MEBIBYTES)
GPU_FB_FREE = Metric("DCGM_FI_DEV_FB_FREE", "gauge", MEBIBYTES)
GPU_POWER = Metric("DCGM_FI_DEV_POWER_USAGE", "gauge", WATTS)
GPU_TEMP = Metric("DCGM_FI_DEV_GPU_TEMP", "gauge", CELSIUS)
GPU_SM_CLOCK = Metric("DCGM_FI_DEV_SM_CLOCK", "gauge", MEGAHERTZ)
GPU_XID = Metric("DCGM_FI_DEV_XID_ERRORS", "gauge", CODE)
GPU_XID_COUNT = Metric("DCGM_EXP_XID_ERRORS_COUNT", "gauge", EVENTS)
XID_COUNT_WINDOW_MS = 300_000
"""The exporter's default window (pkg/cmd/app.go), set explicitly so the alert text can name it."""

# The DCGM exporter's collectors (field, Prometheus type, help): the rows of the GPU Operator's default
# list (dcgm-exporter etc/dcp-metrics-included.csv, copy in tests/data/dcgm/ with its source), then the
# Xid count, declared a gauge as the exporter's own tests declare it (it falls when events leave the window).
DCGM_COLLECTED: tuple[tuple[str, str, str], ...] = (
    ("DCGM_FI_DEV_SM_CLOCK", "gauge", "SM clock frequency (in MHz)."),
    ("DCGM_FI_DEV_MEM_CLOCK", "gauge", "Memory clock frequency (in MHz)."),
    ("DCGM_FI_DEV_MEMORY_TEMP", "gauge", "Memory temperature (in C)."),
    ("DCGM_FI_DEV_GPU_TEMP", "gauge", "GPU temperature (in C)."),
    ("DCGM_FI_DEV_POWER_USAGE", "gauge", "Power draw (in W)."),
    ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "counter", "Total energy consumption since boot (in mJ)."),
    ("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "counter", "Total number of PCIe retries."),
    ("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %)."),
    ("DCGM_FI_DEV_MEM_COPY_UTIL", "gauge", "Memory utilization (in %)."),
    ("DCGM_FI_DEV_ENC_UTIL", "gauge", "Encoder utilization (in %)."),
    ("DCGM_FI_DEV_DEC_UTIL", "gauge", "Decoder utilization (in %)."),
    ("DCGM_FI_DEV_XID_ERRORS", "gauge", "Value of the last XID error encountered."),
    ("DCGM_FI_DEV_FB_FREE", "gauge", "Framebuffer memory free (in MiB)."),
    ("DCGM_FI_DEV_FB_USED", "gauge", "Framebuffer memory used (in MiB)."),
    ("DCGM_FI_DEV_FB_RESERVED", "gauge", "Framebuffer memory reserved (in MiB)."),
    ("DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", "counter", "Total number of NVLink bandwidth counters for all lanes."),
    ("DCGM_FI_DEV_VGPU_LICENSE_STATUS", "gauge", "vGPU License status"),
    ("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "counter", "Number of remapped rows for uncorrectable errors"),
    ("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "counter", "Number of remapped rows for correctable errors"),
    ("DCGM_FI_DEV_ROW_REMAP_FAILURE", "gauge", "Whether remapping of rows has failed"),
    ("DCGM_FI_DRIVER_VERSION", "label", "Driver Version"),
    ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "gauge", "Ratio of time the graphics engine is active."),
    ("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "gauge", "Ratio of cycles the tensor (HMMA) pipe is active."),
    ("DCGM_FI_PROF_DRAM_ACTIVE", "gauge", "Ratio of cycles the device memory interface is active sending or receiving data."),
    ("DCGM_FI_PROF_PCIE_TX_BYTES", "gauge", "The rate of data transmitted over the PCIe bus - including both protocol headers and data payloads - in bytes per second."),
    ("DCGM_FI_PROF_PCIE_RX_BYTES", "gauge", "The rate of data received over the PCIe bus - including both protocol headers and data payloads - in bytes per second."),
    (GPU_XID_COUNT.name, GPU_XID_COUNT.kind, "Count of XID errors of each code within the last window (xid-count-window-size)."),
)


def dcgm_collectors_csv() -> str:
    """The collectors list in the exporter's CSV format (field, type, help; '#' comments)."""
    return "\n".join(["# llmstack: the GPU Operator's default list (dcp-metrics-included.csv) and the Xid count",
                      *(f"{field}, {kind}, {help_}" for field, kind, help_ in DCGM_COLLECTED)]) + "\n"

# kube-state-metrics / kubelet / Prometheus
POD_RESTARTS = Metric("kube_pod_container_status_restarts_total", "counter", EVENTS)
POD_READY = Metric("kube_pod_status_ready", "gauge", BOOLEAN)
POD_INFO = Metric("kube_pod_info", "gauge", BOOLEAN)
"""1 per pod, with its `node` (and namespace, pod): joined to put the node on a pod's alerts."""
GPU_NODE_LABEL = "Hostname"
"""The DCGM exporter's label of the node a GPU is on: NODE_NAME where the DaemonSet sets it (the GPU
Operator's does), else the host name (NVIDIA/dcgm-exporter internal/pkg/hostname/hostname.go)."""
DEPLOYMENT_DESIRED = Metric("kube_deployment_spec_replicas", "gauge", REPLICAS)
DEPLOYMENT_AVAILABLE = Metric("kube_deployment_status_replicas_available", "gauge", REPLICAS)
DEPLOYMENT_UPDATED = Metric("kube_deployment_status_replicas_updated", "gauge", REPLICAS)
POD_CREATED = Metric("kube_pod_created", "gauge", SECONDS)
"""Unix time the pod was created (for a model at rest: when KEDA woke it)."""
POD_READY_TIME = Metric("kube_pod_status_ready_time", "gauge", SECONDS)
"""Unix time of the pod's last Ready transition (internal/store/pod.go: the PodReady condition's
lastTransitionTime, whatever its status): its ready time once kube_pod_status_ready{condition="true"}."""
VOLUME_USED = Metric("kubelet_volume_stats_used_bytes", "gauge", BYTES)
VOLUME_CAPACITY = Metric("kubelet_volume_stats_capacity_bytes", "gauge", BYTES)
SCRAPE_UP = Metric("up", "gauge", BOOLEAN)

# KEDA's HTTP add-on interceptor v0.15.0 (interceptor/metrics/instruments.go, through OpenTelemetry's
# Prometheus exporter: labels route_name and route_namespace, the InterceptorRoute's; the counter also
# code and method). In flight counts the requests it holds while a model wakes (middleware/counting.go).
# It has no cold-start metric of its own: its request duration histogram stops at 10 s.
INTERCEPTOR_IN_FLIGHT = Metric("interceptor_request_concurrency", "gauge", REQUESTS)
INTERCEPTOR_REQUESTS = Metric("interceptor_request_count_total", "counter", REQUESTS)
INTERCEPTOR_HOLD_TIMEOUT_CODE = "504"
"""What the interceptor answers a request still held when its route's readiness timeout ends."""

# Envoy 1.38 (Envoy Gateway v1.8.3's proxies: container port `metrics` 19001, path /stats/prometheus,
# internal/infrastructure/kubernetes/proxy/resource.go): per upstream cluster, named by Envoy Gateway
# `<route kind>/<namespace>/<route>/rule/<index>` (internal/gatewayapi/helpers.go irRouteDestinationName).
ENVOY_OVERFLOW = Metric("envoy_cluster_upstream_rq_pending_overflow", "counter", REQUESTS)
"""Requests the cluster's circuit breaker refused (a resting model's queue full: 429 to the client)."""
ENVOY_CLUSTER_LABEL = "envoy_cluster_name"

