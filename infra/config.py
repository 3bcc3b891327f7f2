"""The stack's configuration: one typed model, read once from Pulumi config, validated once.

This is the only module that reads Pulumi config. Every key under the project's namespace
(`llmstack:*`) must be a field of StackConfig; anything else is an error, not silently ignored.
Keys of other namespaces (`pulumi:`, `kubernetes:`, `aws:`) belong to Pulumi and providers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, Union

import pulumi
import pydantic

from components.aws.spec import EksClusterSpec
from components.gcp.spec import GkeClusterSpec
from components.azure.spec import AksClusterSpec
from components.core.base import Spec
from components.core.catalog.charts import reserved_namespaces
from components.core.cluster import ClusterSpec, DnsLabel, check_labels
from components.core.errors import ConfigError, Problem
from components.core.gateway.spec import ALL_MODELS, AcmeIssuer, GatewaySpec
from components.core.model import ModelSpec
from components.core.monitoring.spec import MonitoringSpec
from components.capacity.stack import StackPlan, check_model, plan_stack
from components.core.cluster import MachineShape
from components.core.validation import parse

PROJECT = "llmstack"
SECRET_KEYS = {"hfToken", "grafanaAdminPassword", "cloudflareApiToken", "alertingSecrets"}
SECRET_MAPS = {"alertingSecrets"}
"""Secret keys holding a map of secrets (`pulumi config set --secret --path 'alertingSecrets.<receiver>' ...`)."""


class ExistingCluster(ClusterSpec):
    """A cluster that already exists, reached through a kubeconfig context; its pools and storage
    classes are described here because nothing can be asked of the cluster at preview."""

    type: Literal["existing"]
    context: Optional[str] = pydantic.Field(default=None, description="kubeconfig context; default: the current context")
    kubeconfig: Optional[str] = pydantic.Field(default=None, description="path to a kubeconfig file; default: $KUBECONFIG or ~/.kube/config")

    def contract(self) -> ClusterSpec:
        return ClusterSpec.model_validate(self.model_dump(include=set(ClusterSpec.model_fields)))

    def machines(self) -> tuple[MachineShape, ...]:
        """No machine catalog: an existing cluster's pools are what they are (declared in its pools)."""
        return ()


ClusterConfig = Annotated[Union[ExistingCluster, EksClusterSpec, GkeClusterSpec, AksClusterSpec],
                          pydantic.Field(discriminator="type")]


class Serving(Spec):
    namespace: DnsLabel = "llm"

    @pydantic.field_validator("namespace")
    @classmethod
    def _own_namespace(cls, value: str) -> str:
        if value in reserved_namespaces():
            raise ValueError(f"'{value}' is a namespace Kubernetes or this stack's platform uses "
                             f"({', '.join(reserved_namespaces())}): choose another, such as llm")
        return value


class StackConfig(Spec):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    team: str = pydantic.Field(description="cost-attribution label on every object")
    environment: str = pydantic.Field(description="cost-attribution label; defaults to the stack name")
    cluster: ClusterConfig
    serving: Serving = Serving()
    models: list[ModelSpec] = pydantic.Field(min_length=1)
    hf_token: Optional[pulumi.Output] = pydantic.Field(default=None, description="Hugging Face token, a Pulumi secret")
    monitoring: Optional[MonitoringSpec] = pydantic.Field(default=None, description="Prometheus, Grafana, alerts, autoscaling; unset: none")
    grafana_admin_password: Optional[pulumi.Output] = pydantic.Field(default=None, description="Grafana admin password, a Pulumi secret")
    gateway: GatewaySpec = pydantic.Field(description="the HTTPS front door: host, TLS, tenants and their limits")
    cloudflare_api_token: Optional[pulumi.Output] = pydantic.Field(
        default=None, description="Cloudflare API token for ACME DNS-01, a Pulumi secret"
    )
    alerting_secrets: dict[str, pulumi.Output] = pydantic.Field(
        default_factory=dict, description="monitoring.alerting receiver name -> its secret (URL, routing key, password), a Pulumi secret"
    )

    @pydantic.field_validator("team", "environment")
    @classmethod
    def _label_value(cls, value: str) -> str:
        check_labels({"team": value})
        return value


@dataclass(frozen=True)
class Stack:
    """The validated config and the plan of its models, made once: what the program renders from."""

    config: StackConfig
    plan: StackPlan


def load(raw: dict[str, Any], secret_keys: set[str], stack: str) -> Stack:
    """Validate raw `llmstack:*` config (keys without the namespace, values as Pulumi passes them)."""
    data = {key: _decode(value) for key, value in raw.items()}
    data.setdefault("environment", stack)
    problems: list[Problem] = []
    for key in SECRET_KEYS & data.keys():
        if key not in secret_keys:
            how = f"--path '{key}.<name>'" if key in SECRET_MAPS else key
            problems.append(Problem(key, f"must be a secret: run `pulumi config set --secret {how} <value>`"))
        if key in SECRET_MAPS:
            if not isinstance(data[key], dict) or not all(isinstance(v, str) for v in data[key].values()):
                problems.append(Problem(key, f"must map names to secret text: `pulumi config set --secret --path '{key}.<name>' <value>`"))
                data.pop(key)
                continue
            data[key] = {name: pulumi.Output.secret(value) for name, value in data[key].items()}
        else:
            data[key] = pulumi.Output.secret(data[key])
    # Only the keys above are carried as secrets; any other value would be written into labels,
    # the plan and logs in plain text. It is refused, and never quoted back.
    misplaced = sorted(set(secret_keys) & data.keys() - SECRET_KEYS)
    for key in misplaced:
        problems.append(Problem(key, f"is set as a secret, but only {', '.join(sorted(SECRET_KEYS))} are kept secret: "
                                     f"set it as plain config (`pulumi config set {key} ...`), or keep the secret elsewhere"))
    try:
        config = parse(StackConfig, data)
    except ConfigError as err:
        quoted = [p for p in err.problems if p.path.split(".")[0].split("[")[0] not in misplaced]
        raise ConfigError([*problems, *quoted, *_placement_of_valid_models(data)]) from None
    if misplaced:
        raise ConfigError(problems)
    monitored = config.monitoring is not None and config.monitoring.enabled
    plan = plan_stack(config.models, config.cluster.contract(), config.cluster.machines(), can_autoscale=monitored,
                      has_hf_token=config.hf_token is not None)
    problems += plan.problems
    problems += monitoring_problems(config)
    # Grants are checked against models that are themselves right, so one mistake is one message.
    problems += gateway_problems(config) if not problems else []
    if problems:
        raise ConfigError(problems)
    return Stack(config, plan)


def monitoring_problems(config: StackConfig) -> list[Problem]:
    """Prometheus' volume must come from a class the cluster has, one that a single pod can write;
    every receiver that reads a secret has one in alertingSecrets, and nothing else is there."""
    monitoring = config.monitoring
    problems = alerting_problems(config) + reuse_problems(config)
    if monitoring is None or not monitoring.enabled or monitoring.storage_class is None:
        return problems
    return problems + _storage_problems(config)


def reuse_problems(config: StackConfig) -> list[Problem]:
    """Settings for parts the stack would install, while config reuses the cluster's."""
    monitoring = config.monitoring
    if monitoring is None or monitoring.reuse.prometheus is None or config.grafana_admin_password is None:
        return []
    return [Problem("grafanaAdminPassword", "is the password of the stack's own Grafana, but monitoring.reuse.prometheus "
                                            "uses the cluster's: remove it (`pulumi config rm grafanaAdminPassword`)")]


def alerting_problems(config: StackConfig) -> list[Problem]:
    """Each receiver's secret is there, and no secret is there that no receiver reads (a misspelt
    name). With monitoring off, the secrets are kept for when it is on again."""
    monitoring = config.monitoring
    if monitoring is None or not monitoring.enabled:
        return []
    alerting = monitoring.alerting
    receivers = alerting.receivers if alerting is not None else []
    problems = []
    for index, receiver in enumerate(receivers):
        if receiver.needs_secret and receiver.name not in config.alerting_secrets:
            what = {"slack": "its Slack webhook URL", "pagerduty": "its PagerDuty routing key", "webhook": "its URL",
                    "email": "its SMTP password"}[receiver.kind]
            problems.append(Problem(f"monitoring.alerting.receivers[{index}]", (
                f"'{receiver.name}' needs {what} as a secret: run `pulumi config set --secret --path "
                f"'alertingSecrets.{receiver.name}' <value>`")))
    readers = {r.name for r in receivers if r.needs_secret}
    for name in sorted(set(config.alerting_secrets) - readers):
        problems.append(Problem(f"alertingSecrets.{name}", (
            f"no receiver '{name}' of monitoring.alerting reads a secret"
            f"{'; receivers: ' + ', '.join(sorted(readers)) if readers else ' (monitoring.alerting has none)'}: "
            f"remove it (`pulumi config rm --path 'alertingSecrets.{name}'`) or name the receiver so")))
    return problems


def _storage_problems(config: StackConfig) -> list[Problem]:
    monitoring = config.monitoring
    assert monitoring is not None and monitoring.storage_class is not None
    classes = config.cluster.contract().storage_classes
    klass = next((c for c in classes if c.name == monitoring.storage_class), None)
    if klass is None:
        return [Problem("monitoring.storageClass", f"no storage class '{monitoring.storage_class}'; classes: "
                                                   f"{', '.join(c.name for c in classes)} (or leave it unset for the cluster default)")]
    if "ReadWriteOnce" not in klass.access_modes:
        return [Problem("monitoring.storageClass", f"class '{klass.name}' offers no ReadWriteOnce volumes, which "
                                                   "Prometheus needs; use a block storage class")]
    return []


def gateway_problems(config: StackConfig) -> list[Problem]:
    """What the gateway settings name must exist: granted models, and the DNS-01 token."""
    problems = []
    names = [model.name for model in config.models]
    for t, tenant in enumerate(config.gateway.tenants):
        for m, model in enumerate(tenant.models):
            if model != ALL_MODELS and model not in names:
                problems.append(Problem(f"gateway.tenants[{t}].models[{m}]",
                                        f"no model named '{model}'; models are {', '.join(names)} (or \"*\" for all)"))
    limited = [t.name for t in config.gateway.tenants if t.rate_limits]
    if config.gateway.reuse is not None and limited:
        for index, model in enumerate(config.models):
            if model.rests_at_zero:
                problems.append(Problem(f"models[{index}].replicas.min", (
                    "0 on a reused Gateway with rate limits (tenants " + ", ".join(limited) + "): a model at rest needs a "
                    "traffic policy of its own on its route, which on a Gateway the stack does not own cannot merge into "
                    "the one holding the tenants' limits, and Envoy Gateway counts limits per policy: each tenant would "
                    "get its limits again on this model. Use replicas.min: 1 without scaleToZero, or the stack's own Gateway")))
    issuer = config.gateway.tls.issuer
    if isinstance(issuer, AcmeIssuer) and issuer.challenge == "dns01-cloudflare" and config.cloudflare_api_token is None:
        problems.append(Problem("gateway.tls.issuer.challenge", "dns01-cloudflare needs a Cloudflare API token "
                                "(Zone:DNS:Edit): run `pulumi config set --secret cloudflareApiToken <token>`"))
    return problems


def _placement_of_valid_models(data: dict[str, Any]) -> list[Problem]:
    """When some of the config is invalid, still check where the valid models would run, so one
    preview reports every problem instead of one layer at a time."""
    try:
        cluster = _CLUSTER.validate_python(data.get("cluster")).contract()
    except pydantic.ValidationError:
        return []
    problems = []
    machines = _CLUSTER.validate_python(data.get("cluster")).machines()
    for index, raw in enumerate(data.get("models") or []):
        try:
            model = ModelSpec.model_validate(raw)
        except pydantic.ValidationError:
            continue
        problems += check_model(model, cluster, f"models[{index}]", machines)
    return problems


_CLUSTER: pydantic.TypeAdapter = pydantic.TypeAdapter(ClusterConfig)


def load_from_pulumi() -> Stack:
    """Read every `llmstack:*` key of the running stack, once."""
    prefix = f"{PROJECT}:"
    values = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    raw = {key[len(prefix):]: value for key, value in values.items() if key.startswith(prefix)}
    env_secret = set(pulumi.runtime.config.get_config_secret_keys_env())
    secret = {key for key in raw if prefix + key in env_secret or pulumi.runtime.is_config_secret(prefix + key)}
    return load(raw, secret, pulumi.get_stack())


def _decode(value: Any) -> Any:
    """Pulumi passes structured config as JSON text; scalars stay text and pydantic converts them."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
