"""Typed monitoring settings: `monitoring:` in stack config, `models[i].autoscaling`, and the facts
about each served model the alerts are written from."""

from __future__ import annotations

from typing import Literal, Optional

import pydantic

from ..base import Spec
from ..cluster import DnsLabel, Labels
from ..quantity import Quantity, parse_quantity


class AlertThresholds(Spec):
    latency_p95_seconds: float = pydantic.Field(default=30.0, gt=0, description="end-to-end p95 SLO per model")
    waiting_requests: int = pydantic.Field(default=10, ge=1, description="queued requests per model before autoscaling counts as too slow")
    kv_cache_usage: float = pydantic.Field(default=0.9, gt=0, le=1)
    gpu_utilization: float = pydantic.Field(default=95.0, gt=0, le=100, description="percent, sustained 15 minutes")
    cache_volume_usage: float = pydantic.Field(default=0.9, gt=0, le=1)


class GrafanaDashboards(Spec):
    """Where an existing Grafana's dashboard sidecar looks for ConfigMaps, and the label it selects."""

    namespace: DnsLabel = pydantic.Field(description="a namespace the sidecar searches")
    label: str = pydantic.Field(default="grafana_dashboard", description="the sidecar's `label`")
    value: str = pydantic.Field(default="1", description="the sidecar's `labelValue`")


class ExistingPrometheus(Spec):
    """A Prometheus Operator stack the cluster already runs (kube-prometheus-stack or alike): the stack
    installs none and writes its ServiceMonitors, rules and dashboards for it."""

    url: str = pydantic.Field(description="in-cluster URL KEDA queries, e.g. http://prometheus-operated.monitoring.svc:9090")
    namespace: DnsLabel = pydantic.Field(description="where its Prometheus pods run; the rules go here")
    pod_labels: Labels = pydantic.Field(min_length=1, description="labels of its Prometheus pods: the models' "
                                        "NetworkPolicy lets only these scrape them")
    service_monitor_labels: Labels = pydantic.Field(default_factory=dict, description="labels its serviceMonitorSelector selects")
    rule_labels: Labels = pydantic.Field(default_factory=dict, description="labels its ruleSelector selects")
    dashboards: Optional[GrafanaDashboards] = pydantic.Field(default=None, description="unset: no dashboards are written")
    alertmanager_config_labels: Labels = pydantic.Field(default_factory=dict, description=(
        "labels its Alertmanager's alertmanagerConfigSelector selects: with `alerting`, the routes go there as an "
        "AlertmanagerConfig"))

    @pydantic.field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or " " in value:
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value.rstrip("/")


class MonitoringReuse(Spec):
    """Platform parts the cluster already runs; each unset is installed by the stack."""

    prometheus: Optional[ExistingPrometheus] = None
    keda: bool = pydantic.Field(default=False, description="the cluster runs KEDA (its CRDs and operator); install none")


class MonitoringSpec(Spec):
    enabled: bool = True
    retention: str = pydantic.Field(default="15d", description="Prometheus retention time")
    storage_size: Quantity = pydantic.Field(default="50Gi", description="Prometheus volume size")
    storage_class: Optional[str] = pydantic.Field(default=None, description="class of the Prometheus volume; default: the cluster default")
    alerts: AlertThresholds = AlertThresholds()
    alerting: Optional["AlertingSpec"] = pydantic.Field(
        default=None, description="receivers and routes; unset: alerts stay in Alertmanager's UI and reach no one"
    )
    reuse: MonitoringReuse = pydantic.Field(default_factory=MonitoringReuse,
                                            description="parts the cluster already runs: prometheus, keda")

    @pydantic.model_validator(mode="after")
    def _own_settings_need_own_prometheus(self) -> "MonitoringSpec":
        if self.reuse.prometheus is None:
            return self
        names = self.given("retention", "storage_size", "storage_class")
        if names:
            raise ValueError(f"{names}: settings of the stack's own Prometheus, but reuse.prometheus uses the "
                             "cluster's: set them there, or drop reuse.prometheus")
        return self

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
    rests_at_zero: bool = pydantic.Field(default=False, description="replicas.min 0: KEDA's interceptor holds its requests while it wakes")


Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
"""The severities of the stack's alerts and of kube-prometheus-stack's default rules."""


class SlackReceiver(Spec):
    """A Slack incoming webhook; its URL is the receiver's entry in the alertingSecrets secret."""

    channel: Optional[str] = pydantic.Field(default=None, description="overrides the webhook's own channel, e.g. #llm-alerts")
    send_resolved: bool = pydantic.Field(default=True, description="also post when an alert resolves")


class PagerDutyReceiver(Spec):
    """PagerDuty Events API v2; the integration's routing key is the receiver's alertingSecrets entry."""

    send_resolved: bool = pydantic.Field(default=True, description="resolve the incident when the alert resolves")


class WebhookReceiver(Spec):
    """A generic webhook (Alertmanager's JSON payload); the URL is the receiver's alertingSecrets entry."""

    send_resolved: bool = True
    max_alerts: int = pydantic.Field(default=0, ge=0, le=1000, description="alerts per message; 0: all")


class EmailReceiver(Spec):
    """Email through an SMTP server; with `username`, the password is the receiver's alertingSecrets entry."""

    to: list[str] = pydantic.Field(min_length=1, description="recipients")
    from_: str = pydantic.Field(alias="from", description="the sender address")
    smarthost: str = pydantic.Field(description="SMTP server as host:port, e.g. smtp.example.com:587")
    username: Optional[str] = pydantic.Field(default=None, description="SMTP login; unset: no authentication")
    require_tls: bool = pydantic.Field(default=True, description="refuse to send without STARTTLS")
    send_resolved: bool = False

    @pydantic.field_validator("to", "from_")
    @classmethod
    def _address(cls, value):
        for address in value if isinstance(value, list) else [value]:
            if "@" not in address or address.startswith("@") or address.endswith("@") or " " in address.strip():
                raise ValueError(f"'{address}' is not an email address")
        return value

    @pydantic.field_validator("smarthost")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"'{value}' is not host:port, e.g. smtp.example.com:587")
        return value


class Receiver(Spec):
    """Where alerts go: exactly one of slack, pagerduty, webhook, email."""

    name: DnsLabel = pydantic.Field(description="names the receiver in routes and its entry in alertingSecrets")
    slack: Optional[SlackReceiver] = None
    pagerduty: Optional[PagerDutyReceiver] = None
    webhook: Optional[WebhookReceiver] = None
    email: Optional[EmailReceiver] = None

    @pydantic.model_validator(mode="after")
    def _one_kind(self) -> "Receiver":
        kinds = [kind for kind in ("slack", "pagerduty", "webhook", "email") if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(f"give exactly one of slack, pagerduty, webhook, email (got {', '.join(kinds) or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in ("slack", "pagerduty", "webhook", "email") if getattr(self, kind) is not None)

    @property
    def needs_secret(self) -> bool:
        """Whether the receiver reads a secret (webhook URL, routing key, SMTP password)."""
        return self.email is None or self.email.username is not None


class AlertingSpec(Spec):
    """Who hears of alerts: receivers, and which severities each gets. Unrouted severities are dropped."""

    receivers: list[Receiver] = pydantic.Field(min_length=1, max_length=50)
    routes: dict[Severity, list[str]] = pydantic.Field(
        description="severity -> receiver names, e.g. {critical: [pager, chat], warning: [chat]}"
    )
    repeat_interval: str = pydantic.Field(default="4h", description="resend a still-firing alert after this long")

    @pydantic.field_validator("repeat_interval")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not value[:-1].isdigit() or value[-1] not in "smhd" or int(value[:-1]) == 0:
            raise ValueError(f"'{value}' is not a duration such as 30m, 4h or 1d")
        return value

    @pydantic.model_validator(mode="after")
    def _routes_name_receivers(self) -> "AlertingSpec":
        names = [receiver.name for receiver in self.receivers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"receiver names must be unique: {', '.join(duplicates)}")
        for severity, targets in self.routes.items():
            unknown = [target for target in targets if target not in names]
            if unknown:
                raise ValueError(f"routes.{severity} names no receiver '{unknown[0]}'; receivers: {', '.join(names)}")
        if not any(self.routes.values()):
            raise ValueError("routes send no severity anywhere: e.g. routes: {critical: [" + names[0] + "]}")
        return self


MonitoringSpec.model_rebuild()
