"""Alertmanager's configuration from `monitoring.alerting`: receivers, routes by severity, inhibition;
for the stack's own Alertmanager as its whole configuration, and for a reused Prometheus Operator
stack as an AlertmanagerConfig object that its operator merges into its Alertmanager's.

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


def severity_routes(alerting: AlertingSpec) -> list[tuple[str, str, bool]]:
    """(severity, receiver, continue) in order: each severity to each of its receivers in turn."""
    routes = []
    for severity in SEVERITIES:
        targets = alerting.routes.get(severity, [])
        routes += [(severity, target, index < len(targets) - 1) for index, target in enumerate(targets)]
    return routes


def alertmanager_config(alerting: Optional[AlertingSpec], secrets: Optional[str] = None) -> dict:
    """The whole configuration (it replaces the chart's): without `alerting`, the chart's default of
    one `null` receiver; with it, a route per severity to each of its receivers. `secrets`: the folder
    of the mounted receivers' Secret (`secret_dir`), needed when a receiver has a secret."""
    routes: list[dict] = [{"receiver": NULL_RECEIVER, "matchers": ['alertname=~"Watchdog|InfoInhibitor"']}]
    receivers: list[dict] = [{"name": NULL_RECEIVER}]
    if alerting is not None:
        routes += [{"receiver": target, "matchers": [f'severity="{severity}"'], "continue": more}
                   for severity, target, more in severity_routes(alerting)]
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


# -- A reused Prometheus Operator stack: an AlertmanagerConfig ---------------------------------------

AMC_API_VERSION = "monitoring.coreos.com/v1alpha1"
AMC_NAME = "llmstack"


def _matcher(name: str, value: str, match_type: str = "=") -> dict:
    return {"name": name, "value": value, "matchType": match_type}


# Alertmanager's configuration keys -> the AlertmanagerConfig CRD's (monitoring.coreos.com/v1alpha1);
# a receiver's secret is a file in the one, a Secret key reference in the other.
_AMC_KEYS = {
    "slack_configs": "slackConfigs", "pagerduty_configs": "pagerdutyConfigs", "webhook_configs": "webhookConfigs",
    "email_configs": "emailConfigs", "api_url_file": "apiURL", "routing_key_file": "routingKey", "url_file": "urlSecret",
    "auth_password_file": "authPassword", "auth_username": "authUsername", "send_resolved": "sendResolved",
    "max_alerts": "maxAlerts", "require_tls": "requireTLS",
}


def _amc_receiver(receiver: Receiver, secret: Optional[Any]) -> dict:
    """One receiver as `_receiver` builds it, in the CRD's words, its secret read by the operator from
    key `<receiver name>` of Secret `secret` (in the AlertmanagerConfig's namespace)."""
    ref = None if secret is None else {"name": secret, "key": receiver.name}
    raw = _receiver(receiver, None)
    out: dict[str, Any] = {"name": receiver.name}
    for kind, configs in raw.items():
        if kind == "name":
            continue
        out[_AMC_KEYS[kind]] = [{_AMC_KEYS.get(key, key): ref if key.endswith("_file") else value
                                 for key, value in config.items()} for config in configs]
    return out


def alertmanager_config_object(alerting: AlertingSpec, namespace: str, labels: dict, secret: Optional[Any] = None,
                               placed_in: Any = None) -> dict:
    """The routes and receivers for a cluster's own Alertmanager, as an AlertmanagerConfig in the
    serving namespace. Its operator (prometheus-operator v0.93 pkg/alertmanager/amcfg.go) prefixes
    every receiver with `<namespace>/<name>/`, puts this route first under its root route, and, with
    its default matcher strategy OnNamespace, adds `namespace="<namespace>"` to the route and to both
    sides of each inhibition rule; the route names that matcher itself too, so it holds under the
    strategy None as well. So only the serving namespace's alerts (the model alerts) take these routes;
    the route continues, so the cluster's own routes still see them. `secret`: the name of the Secret
    holding each receiver's secret under its name, needed when a receiver has one. `placed_in`: the
    namespace as an output of its resource (default: `namespace`)."""
    if secret is None and any(r.needs_secret for r in alerting.receivers):
        raise ValueError("receivers with secrets need the Secret that holds them")
    routes = [{"receiver": target, "matchers": [_matcher("severity", severity)], "continue": more}
              for severity, target, more in severity_routes(alerting)]
    return {
        "apiVersion": AMC_API_VERSION, "kind": "AlertmanagerConfig",
        "metadata": {"name": AMC_NAME, "namespace": namespace if placed_in is None else placed_in, "labels": labels},
        "spec": {
            "route": {
                "receiver": NULL_RECEIVER,
                "matchers": [_matcher("namespace", namespace)],
                "groupBy": ["namespace", "alertname"],
                "groupWait": "30s",
                "groupInterval": "5m",
                "repeatInterval": alerting.repeat_interval,
                "continue": True,
                "routes": routes,
            },
            "receivers": [{"name": NULL_RECEIVER},
                          *(_amc_receiver(r, secret if r.needs_secret else None) for r in alerting.receivers)],
            # The model's own inhibition; node and GPU alerts come from the cluster's namespaces, which
            # the operator's namespace matcher keeps out of this object's rules.
            "inhibitRules": [{"sourceMatch": [_matcher("alertname", "VllmReplicasUnavailable")],
                              "targetMatch": [_matcher("alertname", "|".join(MODEL_SYMPTOMS), "=~")],
                              "equal": ["model_name"]}],
        },
    }

