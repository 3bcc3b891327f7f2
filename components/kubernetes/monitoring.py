"""The monitoring layer: kube-prometheus-stack (Prometheus, Alertmanager, Grafana, exporters) and
KEDA, pinned; the alert rules; and the dashboards. Models add their own ServiceMonitor and
ScaledObject (VllmModel), which wait for these releases' CRDs."""

from __future__ import annotations

from typing import Any, Optional

import pydantic

import pulumi
import pulumi_kubernetes as k8s

from ..core.catalog.charts import KEDA, KUBE_PROMETHEUS_STACK
from ..core.cluster import SystemPlacement
from ..core.labels import CostLabels, platform_labels
from ..core.monitoring import alertmanager, dashboards, objects, values
from ..core.monitoring.alerts import rule_groups
from ..core.monitoring.spec import AlertedModel, MonitoringSpec
from ._base import (TOKEN_PREFIX, ComponentArgs, InputStr, child, custom_resource_kwargs, random_passwords, replaceable_secret,
                    resource_kwargs, waits_for)
from .helm import chart_namespace, release


class MonitoringArgs(ComponentArgs):
    """kube-prometheus-stack and KEDA on the system pool: Prometheus, Grafana with the serving dashboards,
    Alertmanager with the per-model alerts, and the autoscaler that scales models on their queue."""

    spec: MonitoringSpec
    system: SystemPlacement
    cost: CostLabels
    serving_namespace: str
    serving_namespace_output: Optional[InputStr] = None
    """The serving namespace's name as an output of the resource that creates it, so that what the
    component places there (the alert routes for a reused Alertmanager) waits for it."""
    models: list[AlertedModel] = []
    """The served models, for their per-model alerts (start-up budget, cache claim)."""
    grafana_admin_password: Optional[pulumi.Output] = None
    """A Pulumi secret; unset, a random password is generated and exported as a secret."""
    scrape_targets: list[objects.ScrapeTarget] = []
    """Metrics Services the platform runs that nothing scrapes yet (Platform.gpu_metrics): a
    ServiceMonitor each, in the target's namespace, once the Prometheus Operator's CRDs exist."""
    alerting_secrets: dict[str, Any] = {}
    """Receiver name -> its secret (Slack or webhook URL, PagerDuty routing key, SMTP password), each a
    Pulumi secret; one for every receiver of spec.alerting that reads one."""

    @pydantic.model_validator(mode="after")
    def _every_receiver_has_its_secret(self) -> "MonitoringArgs":
        alerting = self.spec.alerting
        needed = sorted(r.name for r in alerting.receivers if r.needs_secret) if alerting is not None else []
        missing = [name for name in needed if name not in self.alerting_secrets]
        extra = sorted(set(self.alerting_secrets) - set(needed))
        if missing or extra:
            raise ValueError(f"alerting_secrets must hold one secret per receiver that reads one ({', '.join(needed) or 'none'}); "
                             f"missing: {', '.join(missing) or '-'}, not a receiver with a secret: {', '.join(extra) or '-'}")
        if self.spec.reuse.prometheus is not None and self.grafana_admin_password is not None:
            raise ValueError("grafana_admin_password is for the stack's own Grafana; with spec.reuse.prometheus there is none")
        return self


class Monitoring(pulumi.ComponentResource):
    """`Monitoring(name, MonitoringArgs(...), opts)`: see MonitoringArgs. A bad argument raises ConfigError naming it."""

    prometheus_url: str
    """In-cluster Prometheus URL, for KEDA's queries: the stack's, or the reused one's."""
    crds_ready: list[pulumi.Resource]
    """Depend on these before creating ServiceMonitors, PrometheusRules or ScaledObjects (none where reused)."""
    grafana_admin_password: Optional[pulumi.Output[str]]
    """The stack's Grafana's admin password (a secret); None where the cluster's Prometheus stack is reused."""

    def __init__(self, name: str, args: MonitoringArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{TOKEN_PREFIX}:Monitoring", name, None, opts)
        labels = platform_labels(args.cost)
        after = waits_for(opts)
        reuse = args.spec.reuse
        self.crds_ready = []
        self.grafana_admin_password = None
        if reuse.prometheus is None:
            # Node exporter runs with host network and PID namespaces: the namespace is "privileged".
            namespace = chart_namespace(name, KUBE_PROMETHEUS_STACK, labels, self, pod_security="privileged")
            secret = self._create_grafana_secret(name, args, namespace.metadata.name, labels)
            config, alerting_secret = self._alerting(name, args, namespace.metadata.name, labels)
            stack = release(f"{name}-stack", KUBE_PROMETHEUS_STACK, namespace.metadata.name,
                            values.kube_prometheus_stack_values(args.spec, args.system, secret.metadata.name, config, alerting_secret),
                            self, opts=pulumi.ResourceOptions(depends_on=after or None))
            self.prometheus_url = values.prometheus_url(KUBE_PROMETHEUS_STACK.namespace)
            self.crds_ready.append(stack)
            rules_after: list[pulumi.Resource] = [stack]  # the PrometheusRule CRD comes with this release
            rules_at: Any = namespace.metadata.name
            rule_labels, dashboards_at, sidecar = labels, namespace.metadata.name, (values.DASHBOARD_LABEL, values.DASHBOARD_LABEL_VALUE)
        else:
            existing = reuse.prometheus
            rules_after = []  # the reused stack has the CRD already
            self.prometheus_url = existing.url
            rules_at, rule_labels = existing.namespace, {**labels, **existing.rule_labels}
            boards = existing.dashboards
            dashboards_at, sidecar = (boards.namespace, (boards.label, boards.value)) if boards else (None, None)
            self._create_alertmanager_config(name, args, labels)
        if not reuse.keda:
            keda_namespace = chart_namespace(f"{name}-keda", KEDA, labels, self)
            self.crds_ready.append(release(f"{name}-keda", KEDA, keda_namespace.metadata.name, values.keda_values(args.system),
                                           self, opts=pulumi.ResourceOptions(depends_on=after or None)))
        self._create_rules_and_dashboards(name, args, rules_at, rule_labels, rules_after, dashboards_at, sidecar, labels)
        monitor_labels = {**labels, **(reuse.prometheus.service_monitor_labels if reuse.prometheus is not None else {})}
        for target in args.scrape_targets:
            manifest = objects.target_service_monitor(target, labels=monitor_labels)
            k8s.apiextensions.CustomResource(f"{name}-scrape-{target.name}", **custom_resource_kwargs(manifest),
                                             opts=child(self, depends_on=rules_after or None))
        self.register_outputs({"prometheus_url": self.prometheus_url, "grafana_admin_password": self.grafana_admin_password})

    def _alerting(self, name: str, args: MonitoringArgs, namespace: pulumi.Output[str],
                  labels: dict) -> tuple[Any, Optional[pulumi.Output[str]]]:
        """Alertmanager's configuration, and the Secret of the receivers' secrets it reads as files."""
        alerting = args.spec.alerting
        if alerting is None or not any(receiver.needs_secret for receiver in alerting.receivers):
            return alertmanager.alertmanager_config(alerting), None
        secret = replaceable_secret(self, f"{name}-alerting", namespace=namespace, labels=labels,
                                    string_data=dict(args.alerting_secrets))
        config = secret.metadata.name.apply(lambda n: alertmanager.alertmanager_config(alerting, alertmanager.secret_dir(n)))
        return config, secret.metadata.name

    def _create_alertmanager_config(self, name: str, args: MonitoringArgs, labels: dict) -> None:
        """With a reused Prometheus Operator stack: the routes and receivers as an AlertmanagerConfig in
        the serving namespace (where the operator reads its receivers' Secret), labelled for its selector."""
        alerting, existing = args.spec.alerting, args.spec.reuse.prometheus
        if alerting is None or existing is None:
            return
        secret: Any = None
        namespace = args.serving_namespace_output or args.serving_namespace
        if any(receiver.needs_secret for receiver in alerting.receivers):
            secret = replaceable_secret(self, f"{name}-alerting", namespace=namespace, labels=labels,
                                        string_data=dict(args.alerting_secrets)).metadata.name
        manifest = alertmanager.alertmanager_config_object(alerting, args.serving_namespace,
                                                           {**labels, **existing.alertmanager_config_labels}, secret,
                                                           placed_in=namespace)
        k8s.apiextensions.CustomResource(f"{name}-alertmanager-config", **custom_resource_kwargs(manifest),
                                         opts=child(self))

    def _create_grafana_secret(self, name: str, args: MonitoringArgs, namespace: pulumi.Output[str],
                               labels: dict) -> k8s.core.v1.Secret:
        """Grafana's admin login; the chart reads it by the name the Secret's output carries."""
        password = args.grafana_admin_password
        if password is None:
            password = random_passwords(self, name, ["grafana-password"])["grafana-password"]
        self.grafana_admin_password = pulumi.Output.secret(password)
        return replaceable_secret(self, f"{name}-grafana-admin", namespace=namespace, labels=labels, string_data={
            values.GRAFANA_USER_KEY: "admin", values.GRAFANA_PASSWORD_KEY: self.grafana_admin_password})

    def _create_rules_and_dashboards(self, name: str, args: MonitoringArgs, rules_at: Any, rule_labels: dict,
                                     rules_after: list[pulumi.Resource], dashboards_at: Any,
                                     sidecar: Optional[tuple[str, str]], labels: dict) -> None:
        groups = rule_groups(args.serving_namespace, args.models, args.spec.alerts)
        rule = objects.prometheus_rule("llmstack", namespace=rules_at, labels=rule_labels, groups=groups)
        k8s.apiextensions.CustomResource(f"{name}-rules", **custom_resource_kwargs(rule),
                                         opts=child(self, depends_on=rules_after or None))
        if dashboards_at is None or sidecar is None:
            return
        for key, board in (("vllm", dashboards.vllm_dashboard(args.serving_namespace, [m.deployment for m in args.models if m.rests_at_zero])), ("gpus", dashboards.gpu_dashboard())):
            manifest = dashboards.configmap(f"llmstack-dashboard-{key}", dashboards_at, board, labels, sidecar)
            k8s.core.v1.ConfigMap(f"{name}-dashboard-{key}", **resource_kwargs(manifest), opts=child(self))
