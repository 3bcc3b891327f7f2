"""Alerts reach someone: the Alertmanager configuration each stack renders is accepted by the real
amtool (`amtool check-config`), routes each severity to the receivers config names (`amtool config
routes test`), reads every secret from the mounted Secret (never from the values), and its
inhibition rules match on labels the alerts really carry."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from components.core.monitoring import alertmanager
from components.core.monitoring.spec import MonitoringSpec
from tests.conftest import ALL_STACKS, stack_config
from tests.monitoring.test_alert_rules import CASES
from tools.prometheus_tools import AMTOOL, found

RELEASE = "monitoring-kube-prometheus-stack.yaml"
ALL_KINDS = {
    "receivers": [
        {"name": "pager", "pagerduty": {}},
        {"name": "chat", "slack": {"channel": "#llm"}},
        {"name": "hook", "webhook": {"maxAlerts": 20}},
        {"name": "mail", "email": {"to": ["ops@example.com"], "from": "alerts@example.com",
                                   "smarthost": "smtp.example.com:587", "username": "alerts"}},
        {"name": "open-mail", "email": {"to": ["team@example.com"], "from": "alerts@example.com",
                                        "smarthost": "mail.internal:25", "requireTls": False}},
    ],
    "routes": {"critical": ["pager", "chat"], "warning": ["chat", "hook"], "info": ["mail", "open-mail"]},
}


def amtool(*args: str) -> subprocess.CompletedProcess:
    path = found(AMTOOL)
    assert path, "amtool is needed: `make prometheus-tools` fetches it, or put amtool on the PATH"
    return subprocess.run([str(path), *args], capture_output=True, text=True, timeout=60)


def checked(tmp_path, config: dict) -> str:
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = amtool("check-config", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return str(path)


def receivers_for(config_file: str, *labels: str) -> str:
    proc = amtool("config", "routes", "test", f"--config.file={config_file}", *labels)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def stack_alertmanager(plan) -> dict:
    return yaml.safe_load((plan.path / "releases" / RELEASE).read_text())["values"]["alertmanager"]


@pytest.mark.parametrize("stack", [s for s in ALL_STACKS if stack_config(s).monitoring is not None
                                   and stack_config(s).monitoring.reuse.prometheus is None])
def test_every_stack_renders_a_configuration_amtool_accepts(plans, tmp_path, stack):
    values = stack_alertmanager(plans[stack])
    config_file = checked(tmp_path, values["config"])
    alerting = stack_config(stack).monitoring.alerting
    for severity in ("critical", "warning", "info"):
        expected = ",".join((alerting.routes.get(severity) if alerting else None) or ["null"])
        assert receivers_for(config_file, f"severity={severity}", "alertname=Anything") == expected, severity
    assert receivers_for(config_file, "alertname=Watchdog", "severity=none") == "null", "the always-firing alert reaches no one"


def test_prod_pages_on_critical_and_posts_warnings(plans, tmp_path):
    values = stack_alertmanager(plans["prod"])
    config_file = checked(tmp_path, values["config"])
    assert receivers_for(config_file, "severity=critical", "alertname=VllmReplicasUnavailable") == "oncall,llm-team"
    assert receivers_for(config_file, "severity=warning", "alertname=VllmRequestsQueued") == "llm-team"
    assert receivers_for(config_file, "severity=info", "alertname=GpuSaturated") == "null"


def test_secrets_are_read_from_the_mounted_secret_never_written_in_the_values(plans):
    from components.core.labels import SECRET_KEYS_ANNOTATION

    values = stack_alertmanager(plans["prod"])
    (mounted,) = values["alertmanagerSpec"]["secrets"]
    (secret,) = [s for s in plans["prod"].objects("Secret") if s["metadata"]["name"] == mounted]
    assert secret["metadata"]["namespace"] == "monitoring"
    assert secret["metadata"]["annotations"][SECRET_KEYS_ANNOTATION] == "llm-team,oncall"
    assert set(secret["stringData"]) == {"oncall", "llm-team"}
    by_name = {r["name"]: r for r in values["config"]["receivers"]}
    assert by_name["oncall"]["pagerduty_configs"][0]["routing_key_file"] == f"{alertmanager.SECRETS_DIR}/{mounted}/oncall"
    assert by_name["llm-team"]["slack_configs"][0]["api_url_file"] == f"{alertmanager.SECRETS_DIR}/{mounted}/llm-team"
    written = yaml.safe_dump(values)
    assert "routing_key:" not in written and "api_url:" not in written and "offline-plan-placeholder" not in written


def test_every_receiver_kind_is_accepted_and_routed(tmp_path):
    alerting = MonitoringSpec.model_validate({"alerting": ALL_KINDS}).alerting
    config = alertmanager.alertmanager_config(alerting, alertmanager.secret_dir("monitoring-alerting-x"))
    config_file = checked(tmp_path, config)
    assert receivers_for(config_file, "severity=critical") == "pager,chat"
    assert receivers_for(config_file, "severity=warning") == "chat,hook"
    assert receivers_for(config_file, "severity=info") == "mail,open-mail"
    by_name = {r["name"]: r for r in config["receivers"]}
    assert "auth_password_file" in by_name["mail"]["email_configs"][0]
    assert "auth_password_file" not in by_name["open-mail"]["email_configs"][0], "no login, no secret"
    assert by_name["hook"]["webhook_configs"][0]["url_file"].endswith("/hook")


def test_without_receivers_alerts_stay_in_alertmanager(tmp_path):
    config_file = checked(tmp_path, alertmanager.alertmanager_config(None))
    for severity in ("critical", "warning", "info"):
        assert receivers_for(config_file, f"severity={severity}") == "null"


def _labels_when_firing(alert: str) -> set[str]:
    """The labels an alert carries when it fires, from its promtool scenarios (tests/monitoring/test_alert_rules.py)."""
    labels: set[str] = set()
    for scenario in CASES[alert].symptoms:
        for expected in scenario.evals.values():
            for firing in expected:
                labels |= set(firing["exp_labels"])
    assert labels, alert
    return labels


def test_inhibition_matches_on_labels_both_sides_carry():
    """Alertmanager treats a label missing on both sides as equal: an `equal` label that the source or
    the target lacks would silence every target, on every node, for any source. So each `equal` label of
    the stack's own inhibition rules is carried by every alert on both sides (the chart's KubeNode*
    alerts are kube-state-metrics' kube_node_status_condition, labelled `node`)."""
    ours = set(CASES)
    for rule in alertmanager.inhibit_rules()[3:]:
        sides = [m.split("=~" if "=~" in m else "=")[1].strip('"').split("|")
                 for m in (rule["source_matchers"][0], rule["target_matchers"][0])]
        for alert in [a for side in sides for a in side if a in ours]:
            assert set(rule["equal"]) <= _labels_when_firing(alert), (alert, rule["equal"])
    assert {"node"} <= _labels_when_firing("VllmPodRestarting") and {"node"} <= _labels_when_firing("GpuXidError")


# -- A reused Prometheus Operator stack: the routes as an AlertmanagerConfig --------------------------

def _matcher_text(matcher: dict) -> str:
    return f'{matcher["name"]}{matcher.get("matchType", "=")}"{matcher["value"]}"'


def operator_merge(cluster_config: dict, amc: dict, secret_values: dict[str, str]) -> dict:
    """What the Prometheus Operator (v0.93 pkg/alertmanager/amcfg.go, matcher strategy OnNamespace,
    its default) makes of one AlertmanagerConfig: receivers named <namespace>/<name>/<receiver> with
    the Secret's values read in; the route, with `namespace="<its namespace>"` added, first under the
    root route; each inhibition rule with that matcher added to both sides. Written from that source,
    so that the real amtool checks the result and the routes it takes."""
    namespace, name = amc["metadata"]["namespace"], amc["metadata"]["name"]
    prefix = f"{namespace}/{name}/"
    enforced = f'namespace="{namespace}"'
    fields = {"slackConfigs": ("slack_configs", {"apiURL": "api_url", "sendResolved": "send_resolved"}),
              "pagerdutyConfigs": ("pagerduty_configs", {"routingKey": "routing_key", "sendResolved": "send_resolved"}),
              "webhookConfigs": ("webhook_configs", {"urlSecret": "url", "sendResolved": "send_resolved", "maxAlerts": "max_alerts"}),
              "emailConfigs": ("email_configs", {"authPassword": "auth_password", "authUsername": "auth_username",
                                                 "requireTLS": "require_tls", "sendResolved": "send_resolved"})}

    def receiver(spec: dict) -> dict:
        out = {"name": prefix + spec["name"]}
        for kind, (key, renames) in fields.items():
            for config in spec.get(kind, []):
                converted = {}
                for field, value in config.items():
                    if isinstance(value, dict) and set(value) == {"name", "key"}:
                        value = secret_values[value["key"]]
                    converted[renames.get(field, field)] = value
                out.setdefault(key, []).append(converted)
        return out

    def route(spec: dict) -> dict:
        out = {"receiver": prefix + spec["receiver"], "matchers": [_matcher_text(m) for m in spec.get("matchers", [])],
               "continue": spec.get("continue", False)}
        for field, key in (("groupBy", "group_by"), ("groupWait", "group_wait"), ("groupInterval", "group_interval"),
                           ("repeatInterval", "repeat_interval")):
            if field in spec:
                out[key] = spec[field]
        if spec.get("routes"):
            out["routes"] = [route(child) for child in spec["routes"]]
        return out

    merged = yaml.safe_load(yaml.safe_dump(cluster_config))
    top = route(amc["spec"]["route"])
    top["matchers"].append(enforced)
    merged["route"]["routes"] = [top, *merged["route"]["routes"]]
    merged["receivers"] += [receiver(r) for r in amc["spec"]["receivers"]]
    for rule in amc["spec"].get("inhibitRules", []):
        merged["inhibit_rules"].append({
            "source_matchers": [_matcher_text(m) for m in rule["sourceMatch"]] + [enforced],
            "target_matchers": [_matcher_text(m) for m in rule["targetMatch"]] + [enforced],
            "equal": rule["equal"]})
    return merged


SECRET_VALUES = {"pager": "0123456789abcdef0123456789abcdef", "chat": "https://hooks.slack.com/services/T0/B0/X",
                 "hook": "https://alerts.example.com/hook", "mail": "smtp-password"}


def test_all_receiver_kinds_reach_a_reused_alertmanager_through_the_operator(tmp_path):
    """Every receiver kind, as an AlertmanagerConfig, merged as the operator merges it into the
    cluster's own configuration (here the chart's default, one `null` receiver): amtool accepts it;
    the serving namespace's alerts go to the configured receivers, and everyone else's do not."""
    from tests.crds import validate

    alerting = MonitoringSpec.model_validate({"alerting": ALL_KINDS}).alerting
    amc = alertmanager.alertmanager_config_object(alerting, "llm", {}, secret="monitoring-alerting-x")
    validate(amc)
    config_file = checked(tmp_path, operator_merge(alertmanager.alertmanager_config(None), amc, SECRET_VALUES))
    ours = "llm/llmstack/"
    assert receivers_for(config_file, "namespace=llm", "severity=critical") == f"{ours}pager,{ours}chat"
    assert receivers_for(config_file, "namespace=llm", "severity=warning") == f"{ours}chat,{ours}hook"
    assert receivers_for(config_file, "namespace=llm", "severity=info") == f"{ours}mail,{ours}open-mail"
    assert receivers_for(config_file, "namespace=llm", "severity=none") == f"{ours}null"
    assert receivers_for(config_file, "namespace=other-team", "severity=critical") == "null", "only our namespace"
    # Under the operator's strategy None (no matcher added), the route's own namespace matcher holds.
    assert {"name": "namespace", "value": "llm", "matchType": "="} in amc["spec"]["route"]["matchers"]


def test_a_reused_prometheus_gets_the_alert_routes_as_an_alertmanager_config(plans, tmp_path):
    from components.core.labels import SECRET_KEYS_ANNOTATION

    for stack in ALL_STACKS:
        config = stack_config(stack)
        existing = config.monitoring.reuse.prometheus if config.monitoring is not None else None
        amcs = plans[stack].objects("AlertmanagerConfig")
        if existing is None or config.monitoring.alerting is None:
            assert not amcs, stack
            continue
        (amc,) = amcs
        namespace = config.serving.namespace
        assert amc["metadata"]["namespace"] == namespace, "the operator routes an AlertmanagerConfig's own namespace"
        assert amc["metadata"]["labels"].items() >= existing.alertmanager_config_labels.items(), "its selector picks it"
        refs = {v["name"] for r in amc["spec"]["receivers"] for kind in r.values() if isinstance(kind, list)
                for c in kind for v in c.values() if isinstance(v, dict) and "key" in v}
        (secret,) = [s for s in plans[stack].objects("Secret") if s["metadata"]["name"] in refs]
        assert secret["metadata"]["namespace"] == namespace and secret["stringData"] == "[secret]" or all(
            v == "[secret]" for v in secret["stringData"].values())
        keys = sorted(r.name for r in config.monitoring.alerting.receivers if r.needs_secret)
        assert secret["metadata"]["annotations"][SECRET_KEYS_ANNOTATION] == ",".join(keys)
        values = {key: "https://alerts.example.com/x" for key in keys}
        config_file = checked(tmp_path, operator_merge(alertmanager.alertmanager_config(None), amc, values))
        for severity, targets in config.monitoring.alerting.routes.items():
            expected = ",".join(f"{namespace}/llmstack/{t}" for t in targets)
            assert receivers_for(config_file, f"namespace={namespace}", f"severity={severity}") == expected
    assert any(plans[s].objects("AlertmanagerConfig") for s in ALL_STACKS), "some stack covers this"
