"""The gateway's side of a model that rests at zero replicas (replicas.min 0).

Request path: Envoy (TLS, API key, tenant grant, limits; unchanged) -> the model's Backend, which
names KEDA's interceptor instead of the model's pods -> the interceptor matches the model's
InterceptorRoute on x-ai-eg-model, counts the request (KEDA wakes the model on it) and holds it until
the model's Service has a ready pod, for the planned hold -> the model's ClusterIP Service.

Timeout chain, H the hold and R the gateway's request timeout (tested in tests/stacks):
- the interceptor's readiness wait: H, then 504 (rewritten below into a 503 with Retry-After);
- the interceptor's request and response-header timeouts: none (the route bounds the request);
- Envoy's route timeout: H + R, so a request held the whole H still has R to answer;
- Envoy's stream idle timeout on the route: max(H, R) + a margin, as nothing flows during the hold;
- KEDA: the scaler pushes "active" within 200 ms of the first held request; no timeout of its own.

Past the hold or the queue, clients get an OpenAI-style error with Retry-After (Envoy Gateway's
responseOverride: the interceptor's and Envoy's own bodies are plain text without it)."""

from __future__ import annotations

import json
from typing import Any, Optional

from ..cold_start import ColdStart
from ..keda_http import PROXY_HOST, PROXY_PORT, queue_per_proxy
from ..manifests import vllm
from .spec import GatewaySpec

STREAM_IDLE_MARGIN_SECONDS = 30
"""Envoy's idle timeout on a resting model's route outlasts the hold by this much, so the interceptor's
answer at the end of the hold reaches the client instead of Envoy's reset."""
QUEUE_FULL_RETRY_AFTER_SECONDS = 30
"""Retry-After when a model's queue is full: long enough for some of it to be answered."""
HTTP_API = "http.keda.sh/v1beta1"


def route_timeout_seconds(spec: GatewaySpec, cold: ColdStart) -> int:
    return cold.hold_seconds + spec.request_timeout_seconds


def stream_idle_seconds(spec: GatewaySpec, cold: ColdStart) -> int:
    return max(cold.hold_seconds, spec.request_timeout_seconds) + STREAM_IDLE_MARGIN_SECONDS


def backend_host() -> str:
    """Where a resting model's Backend points: the interceptor's proxy Service (one for all models;
    each model keeps its own Backend, so Envoy keeps a cluster and a circuit breaker per model)."""
    return PROXY_HOST


BACKEND_PORT = PROXY_PORT


def interceptor_route(model: str, served_name: str, cold: ColdStart, max_num_seqs: Optional[int], model_header: str,
                      namespace: Any, labels: dict) -> dict:
    """The interceptor's route to the model's ClusterIP Service (beside it, in the serving namespace),
    matched on the header AI Gateway sets from the body's `model`. Its in-flight requests, held ones
    included, are the concurrency the model's ScaledObject scales on."""
    return {
        "apiVersion": HTTP_API, "kind": "InterceptorRoute",
        "metadata": {"name": model, "namespace": namespace, "labels": labels},
        "spec": {
            "target": {"service": model, "port": vllm.PORT},
            "rules": [{"headers": [{"name": model_header, "value": served_name}]}],
            "scalingMetric": {"concurrency": {"targetValue": max_num_seqs or 1}},
            "timeouts": {"readiness": f"{cold.hold_seconds}s", "request": "0s", "responseHeader": "0s"},
        },
    }


def _openai_error(message: str, kind: str, code: str) -> str:
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": code}})


def response_overrides(served_name: str, cold: ColdStart, queue: int) -> list[dict]:
    """The interceptor's 504 at the end of the hold (a backend response: Envoy's own timeouts are
    local and stay as they are) -> 503, and Envoy's local 503 when the model's circuit breaker is full
    (or the interceptor is unreachable; the body carries Envoy's response flags: UO overflow, UH/UF
    no or failed upstream) -> 429, each with Retry-After and an OpenAI error body."""
    starting = _openai_error(
        f"{served_name} is starting from zero replicas (cold start ~{cold.seconds}s) and was not ready within "
        f"{cold.hold_seconds}s; retry after {cold.retry_after_seconds}s", "server_error", "model_starting")
    full = _openai_error(
        f"{served_name} has {queue} requests in flight or waiting on this gateway proxy, its limit, or its start-up "
        f"buffer is unreachable (%RESPONSE_FLAGS%); retry after {QUEUE_FULL_RETRY_AFTER_SECONDS}s",
        "rate_limit_exceeded", "model_queue_full")

    def override(source: str, status: int, to: int, body: str, retry_after: int) -> dict:
        return {"source": source, "match": {"statusCodes": [{"type": "Value", "value": status}]},
                "response": {"statusCode": to, "contentType": "application/json",
                             "header": {"set": [{"name": "Retry-After", "value": str(retry_after)}]},
                             "body": {"type": "Inline", "inline": body}}}

    return [override("Backend", 504, 503, starting, cold.retry_after_seconds),
            override("Local", 503, 429, full, QUEUE_FULL_RETRY_AFTER_SECONDS)]


def resting_traffic(spec: GatewaySpec, served_name: str, cold: ColdStart) -> dict:
    """What a resting model's route adds to the gateway's traffic policy: the stream idle timeout that
    outlasts the hold, the model's queue as a circuit breaker, and the errors past them."""
    queue = queue_per_proxy(cold.queue_length, spec.replicas if spec.reuse is None else None)
    return {
        "timeout": {"http": {"streamIdleTimeout": f"{stream_idle_seconds(spec, cold)}s"}},
        "circuitBreaker": {"maxParallelRequests": queue, "maxPendingRequests": queue},
        "responseOverride": response_overrides(served_name, cold, queue),
    }


ENVOY_METRICS_PORT, ENVOY_STATS_PATH = "metrics", "/stats/prometheus"
"""The Envoy proxies' Prometheus endpoint, as Envoy Gateway v1.8.3 names it on their pods."""


def envoy_pod_monitor(namespace: str, pod_labels: dict, labels: dict) -> dict:
    """The gateway's Envoy pods, scraped for what their circuit breakers refuse: a resting model's
    queue is one, and its refusals (429 to clients) are counted nowhere else."""
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
        "metadata": {"name": "llmstack-envoy", "namespace": namespace, "labels": labels},
        "spec": {"selector": {"matchLabels": dict(pod_labels)},
                 "podMetricsEndpoints": [{"port": ENVOY_METRICS_PORT, "path": ENVOY_STATS_PATH, "interval": "15s"}]},
    }

