"""Typed monitoring settings: `monitoring:` in stack config, `models[i].autoscaling`, and the facts
about each served model the alerts are written from."""

from __future__ import annotations

from typing import Optional

import pydantic

from ..base import Spec
from ..cluster import DnsLabel
from ..quantity import Quantity, parse_quantity


class AlertThresholds(Spec):
    latency_p95_seconds: float = pydantic.Field(default=30.0, gt=0, description="end-to-end p95 SLO per model")
    waiting_requests: int = pydantic.Field(default=10, ge=1, description="queued requests per model before autoscaling counts as too slow")
    kv_cache_usage: float = pydantic.Field(default=0.9, gt=0, le=1)
    gpu_utilization: float = pydantic.Field(default=95.0, gt=0, le=100, description="percent, sustained 15 minutes")
    cache_volume_usage: float = pydantic.Field(default=0.9, gt=0, le=1)


class MonitoringSpec(Spec):
    enabled: bool = True
    retention: str = pydantic.Field(default="15d", description="Prometheus retention time")
    storage_size: Quantity = pydantic.Field(default="50Gi", description="Prometheus volume size")
    storage_class: Optional[str] = pydantic.Field(default=None, description="class of the Prometheus volume; default: the cluster default")
    alerts: AlertThresholds = AlertThresholds()

    @pydantic.field_validator("retention")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not value[:-1].isdigit() or value[-1] not in "hdwy":
            raise ValueError(f"'{value}' is not a Prometheus retention such as 15d, 72h or 4w")
        return value

    @property
    def retention_size(self) -> str:
        """Stop short of filling the volume: 85 % of it, in whole GiB."""
        gib = int(parse_quantity(self.storage_size) * 85 / 100 / 2**30)
        return f"{max(gib, 1)}GB"


class AutoscalingSpec(Spec):
    """Replicas follow the request queue: one replica per `waitingPerReplica` waiting requests."""

    waiting_per_replica: int = pydantic.Field(default=4, ge=1, description="queued requests one more replica should absorb")
    scale_up_window_seconds: int = pydantic.Field(default=0, ge=0, le=3600, description="HPA stabilization before scaling up")
    scale_down_window_seconds: int = pydantic.Field(default=600, ge=0, le=3600, description="HPA stabilization before scaling down")
    polling_interval_seconds: int = pydantic.Field(default=15, ge=5, le=300)


class AlertedModel(Spec):
    """One served model as its alerts see it. Built by the stack program from the model's resolved
    plan and its cache's storage class; plain values only, so the rules are pure functions of it."""

    deployment: DnsLabel = pydantic.Field(description="the model's Deployment (= model.name)")
    served_name: str = pydantic.Field(min_length=1, description="vLLM's model_name label")
    startup_budget_seconds: int = pydantic.Field(gt=0, description="the resolved plan's start-up budget")
    cache_claim: str = pydantic.Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", description="the cache's PVC")
    cache_reports_volume_stats: bool = pydantic.Field(description="kubelet volume stats measure the claim (its class's provisioner)")
