"""Alertmanager's configuration from `monitoring.alerting`: receivers, routes by severity, inhibition.

The configuration holds no secret. Each receiver's secret (a Slack or webhook URL, a PagerDuty
routing key, an SMTP password) is one key of a Kubernetes Secret that the Alertmanager pods mount
(kube-prometheus-stack's alertmanager.alertmanagerSpec.secrets: /etc/alertmanager/secrets/<secret>/),
and the configuration names the file (`api_url_file`, `routing_key_file`, `url_file`,
`auth_password_file`; Alertmanager 0.26+; the pinned chart runs 0.34). So the rendered values can be
reviewed in the plan, and rotating a secret changes no configuration.

Inhibition (a cause silences the alerts it causes, while it fires):
- the chart's own rules, kept: a critical alert silences the warning and info alerts of the same name
  and namespace, a warning its info ones, and InfoInhibitor silences info alerts;
- a model with replicas missing past their start-up budget (VllmReplicasUnavailable) silences the
  queue, latency and KV-cache alerts of the same model: they are its symptoms;
- a node that is not ready or unreachable (the chart's KubeNodeNotReady, KubeNodeUnreachable), and a
  GPU fault (GpuXidError, GpuXidErrors), silence the pod-level alerts of the models on that node
  (VllmPodRestarting, VllmScrapeFailing), matched by the `node` label those alerts carry.
"""

from __future__ import annotations

from typing import Any, Optional

from .spec import SEVERITIES, AlertingSpec, Receiver

SECRETS_DIR = "/etc/alertmanager/secrets"
"""Where the Prometheus Operator mounts each Secret of alertmanagerSpec.secrets, as <dir>/<secret>/<key>."""
NULL_RECEIVER = "null"
MODEL_SYMPTOMS = ("VllmRequestsQueued", "VllmLatencyP95High", "VllmKvCacheNearlyFull")
NODE_CAUSES = ("KubeNodeNotReady", "KubeNodeUnreachable", "GpuXidError", "GpuXidErrors")
POD_ALERTS = ("VllmPodRestarting", "VllmScrapeFailing")


def _any(names: tuple[str, ...]) -> str:
    return f'alertname=~"{"|".join(names)}"'


def inhibit_rules() -> list[dict]:
    return [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity=~"warning|info"'],
         "equal": ["namespace", "alertname"]},
        {"source_matchers": ['severity="warning"'], "target_matchers": ['severity="info"'],
         "equal": ["namespace", "alertname"]},
        {"source_matchers": ['alertname="InfoInhibitor"'], "target_matchers": ['severity="info"'], "equal": ["namespace"]},
        {"source_matchers": ['alertname="VllmReplicasUnavailable"'], "target_matchers": [_any(MODEL_SYMPTOMS)],
         "equal": ["model_name"]},
        {"source_matchers": [_any(NODE_CAUSES)], "target_matchers": [_any(POD_ALERTS)], "equal": ["node"]},
    ]


def secret_dir(secret_name: str) -> str:
    """Where the Alertmanager pods see the mounted Secret's keys."""
    return f"{SECRETS_DIR}/{secret_name}"


def _receiver(receiver: Receiver, secrets: Optional[str]) -> dict:
    """One receiver; its secret is the file named after it in `secrets` (the mounted Secret's folder)."""
    path = None if secrets is None else f"{secrets}/{receiver.name}"
    out: dict[str, Any] = {"name": receiver.name}
    if receiver.slack is not None:
        slack: dict[str, Any] = {"api_url_file": path, "send_resolved": receiver.slack.send_resolved,
                                 "title": '{{ .CommonLabels.alertname }} ({{ .Status }})',
                                 "text": '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.runbook }}\n{{ end }}'}
        if receiver.slack.channel:
            slack["channel"] = receiver.slack.channel
        out["slack_configs"] = [slack]
    elif receiver.pagerduty is not None:
        out["pagerduty_configs"] = [{"routing_key_file": path, "send_resolved": receiver.pagerduty.send_resolved,
                                     "description": '{{ .CommonAnnotations.summary }}'}]
    elif receiver.webhook is not None:
        out["webhook_configs"] = [{"url_file": path, "send_resolved": receiver.webhook.send_resolved,
                                   "max_alerts": receiver.webhook.max_alerts}]
    else:
        email = receiver.email
        assert email is not None
        config: dict[str, Any] = {"to": ", ".join(email.to), "from": email.from_, "smarthost": email.smarthost,
                                  "require_tls": email.require_tls, "send_resolved": email.send_resolved}
        if email.username is not None:
            config.update(auth_username=email.username, auth_password_file=path)
        out["email_configs"] = [config]
    return out


def alertmanager_config(alerting: Optional[AlertingSpec], secrets: Optional[str] = None) -> dict:
    """The whole configuration (it replaces the chart's): without `alerting`, the chart's default of
    one `null` receiver; with it, a route per severity to each of its receivers. `secrets`: the folder
    of the mounted receivers' Secret (`secret_dir`), needed when a receiver has a secret."""
    routes: list[dict] = [{"receiver": NULL_RECEIVER, "matchers": ['alertname=~"Watchdog|InfoInhibitor"']}]
    receivers: list[dict] = [{"name": NULL_RECEIVER}]
    if alerting is not None:
        for severity in SEVERITIES:
            targets = alerting.routes.get(severity, [])
            for index, target in enumerate(targets):
                routes.append({"receiver": target, "matchers": [f'severity="{severity}"'],
                               "continue": index < len(targets) - 1})
        if secrets is None and any(r.needs_secret for r in alerting.receivers):
            raise ValueError("receivers with secrets need the mounted Secret's folder")
        receivers += [_receiver(r, secrets if r.needs_secret else None) for r in alerting.receivers]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": NULL_RECEIVER,
            "group_by": ["namespace", "alertname"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": alerting.repeat_interval if alerting is not None else "12h",
            "routes": routes,
        },
        "inhibit_rules": inhibit_rules(),
        "receivers": receivers,
        "templates": [],
    }
