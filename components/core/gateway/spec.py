"""Typed gateway settings: `gateway:` in stack config.

One HTTPS host serves the OpenAI-compatible API of every model. Tenants hold API keys (generated,
kept as Pulumi secrets) and are granted models and limits by name.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional, Union

import pydantic

from ..catalog.charts import AI_GATEWAY, CERT_MANAGER, ENVOY_GATEWAY, REUSED_AI_GATEWAY_MINIMUM, REUSED_ENVOY_GATEWAY_MINIMUM
from ..base import Spec
from ..cluster import DnsLabel, DnsSubdomain, Labels

ALL_MODELS = "*"
LETSENCRYPT = {
    "production": "https://acme-v02.api.letsencrypt.org/directory",
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


def check_hostname(value: str) -> str:
    if not _HOSTNAME.match(value):
        raise ValueError(
            f"'{value}' is not a fully qualified host name such as llm.example.com (lower case, no scheme, "
            "port or wildcard)"
        )
    return value


Hostname = Annotated[str, pydantic.AfterValidator(check_hostname)]


class SelfSignedIssuer(Spec):
    """A private CA made by cert-manager in the cluster: clients must trust it (curl --cacert) or skip checks."""

    type: Literal["selfSigned"]


class AcmeIssuer(Spec):
    """Let's Encrypt (or any ACME server). HTTP-01 answers through the gateway itself, so the host's
    DNS must already point at the gateway's load balancer; DNS-01 (Cloudflare) works before that and
    behind private load balancers, with the token in the secret `cloudflareApiToken`."""

    type: Literal["acme"]
    email: str = pydantic.Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="ACME account e-mail (expiry notices)")
    server: str = pydantic.Field(default="production", description="production, staging, or an ACME directory URL")
    challenge: Literal["http01", "dns01-cloudflare"] = "http01"

    @pydantic.field_validator("server")
    @classmethod
    def _server(cls, value: str) -> str:
        if value not in LETSENCRYPT and not value.startswith("https://"):
            raise ValueError(f"'{value}' is neither production, staging nor an https:// ACME directory URL")
        return value

    @property
    def directory(self) -> str:
        return LETSENCRYPT.get(self.server, self.server)


class ExistingIssuer(Spec):
    """A ClusterIssuer the cluster already has (a corporate CA, Vault, an existing ACME account)."""

    type: Literal["existing"]
    name: str


Issuer = Annotated[Union[SelfSignedIssuer, AcmeIssuer, ExistingIssuer], pydantic.Field(discriminator="type")]


class CertManagerPart(Spec):
    """cert-manager: installed by the stack (pinned), or the one the cluster already runs."""

    install: bool = pydantic.Field(default=True, description="false: the cluster runs cert-manager; install none")
    namespace: DnsLabel = pydantic.Field(default=CERT_MANAGER.namespace, description=(
        "where the cluster's cert-manager runs (its cluster resource namespace): the self-signed CA and the DNS-01 "
        "token Secret live there"))

    @pydantic.model_validator(mode="after")
    def _namespace_only_when_reused(self) -> "CertManagerPart":
        if self.install and self.namespace != CERT_MANAGER.namespace:
            raise ValueError(f"namespace names an existing cert-manager's; the stack installs its own in "
                             f"'{CERT_MANAGER.namespace}' (set install: false to use the cluster's)")
        return self


class TlsSpec(Spec):
    issuer: Issuer = SelfSignedIssuer(type="selfSigned")
    cert_manager: CertManagerPart = pydantic.Field(default_factory=CertManagerPart,
                                                   description="install cert-manager, or use the cluster's")


_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


def version_tuple(value: str) -> tuple[int, int, int]:
    match = _VERSION.match(value)
    if match is None:
        raise ValueError(f"'{value}' is not a release version such as v1.8.3")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def _at_least(minimum: str, what: str, validated: str):
    def check(value: str) -> str:
        if version_tuple(value) < version_tuple(minimum):
            raise ValueError(f"{what} {value} is older than {minimum}, the oldest whose API the stack's routes and "
                             f"policies are written for (validated against {validated}); upgrade it, or let the stack "
                             "install its own gateway (remove gateway.reuse)")
        return value
    return pydantic.AfterValidator(check)


class GatewayProxies(Spec):
    """Where the existing Gateway's Envoy pods run, and their labels: the models' NetworkPolicy admits
    only these pods (AI Gateway's ext_proc runs inside them)."""

    namespace: DnsLabel = pydantic.Field(default=ENVOY_GATEWAY.namespace, description=(
        "its Envoy pods' namespace: Envoy Gateway's own namespace (the default deploy type), or the "
        "Gateway's namespace with the GatewayNamespace deploy type"))
    pod_labels: Optional[Labels] = pydantic.Field(default=None, min_length=1, description=(
        "unset: the owning-gateway labels Envoy Gateway puts on a Gateway's Envoy pods"))


class ExistingGateway(Spec):
    """A Gateway the cluster already runs, on Envoy Gateway with Envoy AI Gateway: the stack installs
    neither and attaches its routes and policies to one of the Gateway's HTTPS listeners, which must
    admit routes from the serving namespace (`allowedRoutes`)."""

    namespace: DnsLabel = pydantic.Field(description="the Gateway's namespace")
    name: DnsSubdomain = pydantic.Field(description="the Gateway's name")
    listener: DnsLabel = pydantic.Field(description="its HTTPS listener (sectionName) for `host`: a hostname that "
                                                    "covers it (or none), and TLS terminated")
    envoy_gateway_version: Annotated[str, _at_least(REUSED_ENVOY_GATEWAY_MINIMUM, "Envoy Gateway", ENVOY_GATEWAY.version)] = pydantic.Field(
        description="the version of the cluster's Envoy Gateway, e.g. v1.8.3")
    ai_gateway_version: Annotated[str, _at_least(REUSED_AI_GATEWAY_MINIMUM, "Envoy AI Gateway", AI_GATEWAY.version)] = pydantic.Field(
        description="the version of the cluster's Envoy AI Gateway, e.g. v1.1.0")
    global_rate_limit: bool = pydantic.Field(default=False, description=(
        "its Envoy Gateway has a global rate limit backend (config.envoyGateway.rateLimit.backend): tenants' "
        "limits need one"))
    proxies: GatewayProxies = pydantic.Field(default_factory=GatewayProxies, description="its Envoy pods")
    inference_pools: bool = pydantic.Field(default=False, description=(
        "its Envoy Gateway lists InferencePool (inference.networking.k8s.io/v1) among its extension manager's "
        "backendResources, and the InferencePool CRD was installed before its AI Gateway started: models with "
        "several replicas are then routed by prefix cache here too; unset, they are balanced by Envoy"))

    def proxy_pod_labels(self) -> dict[str, str]:
        if self.proxies.pod_labels is not None:
            return dict(self.proxies.pod_labels)
        return owning_gateway_labels(self.name, self.namespace)


# Envoy proxy pods: the labels Envoy Gateway v1.8.3 puts on a Gateway's Envoy pods: EnvoyAppLabel
# (internal/infrastructure/kubernetes/proxy/resource.go) and the owning-gateway labels
# (internal/gatewayapi/translator.go OwningGatewayNameLabel, OwningGatewayNamespaceLabel).
def owning_gateway_labels(name: str, namespace: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "envoy",
        "app.kubernetes.io/component": "proxy",
        "app.kubernetes.io/managed-by": "envoy-gateway",
        "gateway.envoyproxy.io/owning-gateway-name": name,
        "gateway.envoyproxy.io/owning-gateway-namespace": namespace,
    }


# Envoy Gateway v1.8.3's BackendTrafficPolicy (tests/data/crds) takes a global rate limit's
# `limit.requests` up to 4294967295 (a uint32) and at most 256 rules; the SecurityPolicy takes at most
# 256 values in one principal header (a tenant's granted models). All tenants' limits live in one
# policy, which the API server refuses whole if any of them is out of range: so each is checked here.
MAX_RATE_LIMIT = 4_294_967_295
MAX_RATE_LIMIT_RULES = 256
MAX_GRANTED_MODELS = 256


class Tenant(Spec):
    """One API consumer: its own key, the models it may call, and its limits."""

    name: DnsLabel = pydantic.Field(description="names the tenant's key; sent upstream as x-llmstack-tenant")
    models: list[str] = pydantic.Field(min_length=1, max_length=MAX_GRANTED_MODELS,
                                       description="names of `models` entries it may call, or [\"*\"]")
    # Whole numbers (strict: 1.5 or 600.0 are mistakes, not 600; `true` is refused by Spec) within
    # Envoy Gateway's bound, which replaces Spec's int32 one.
    requests_per_minute: Optional[int] = pydantic.Field(default=None, ge=1, le=MAX_RATE_LIMIT, strict=True,
                                                        description="unset: no request limit")
    tokens_per_minute: Optional[int] = pydantic.Field(default=None, ge=1, le=MAX_RATE_LIMIT, strict=True,
                                                      description="prompt + completion tokens; unset: no limit")
    tokens_per_day: Optional[int] = pydantic.Field(default=None, ge=1, le=MAX_RATE_LIMIT, strict=True,
                                                   description="prompt + completion tokens; unset: no limit")

    @property
    def rate_limits(self) -> int:
        """How many rate-limit rules the tenant's limits take."""
        return sum(limit is not None for limit in (self.requests_per_minute, self.tokens_per_minute, self.tokens_per_day))


class GatewaySpec(Spec):
    host: Hostname = pydantic.Field(description="the one host name clients use: https://<host>/v1")
    tls: TlsSpec = TlsSpec()
    tenants: list[Tenant] = pydantic.Field(min_length=1, description="API consumers; each gets a generated key")
    replicas: int = pydantic.Field(default=2, ge=1, le=20, description="Envoy proxy replicas, on the system pool")
    service_type: Literal["LoadBalancer", "NodePort", "ClusterIP"] = pydantic.Field(
        default="LoadBalancer", description="the Envoy Service; ClusterIP for a local cluster reached by port-forward"
    )
    request_timeout_seconds: int = pydantic.Field(
        default=900, ge=300, le=3600, description="longest request, first byte to last streamed token"
    )
    load_balancer_annotations: dict[str, str] = pydantic.Field(
        default_factory=dict, description="added to the cluster's own annotations of the gateway's LoadBalancer Service"
    )
    reuse: Optional[ExistingGateway] = pydantic.Field(default=None, description=(
        "attach to a Gateway the cluster already runs; unset: the stack installs Envoy Gateway and AI Gateway"))

    @property
    def issues_certificate(self) -> bool:
        """The stack issues the listener's certificate: always with its own Gateway; with a reused one
        only when `tls` is given (the listener then refers to it across namespaces)."""
        return self.reuse is None or "tls" in self.model_fields_set

    @pydantic.model_validator(mode="after")
    def _own_settings_need_own_gateway(self) -> "GatewaySpec":
        if self.reuse is None:
            return self
        names = self.given("replicas", "service_type", "load_balancer_annotations")
        if names:
            raise ValueError(f"{names} configure the stack's own Envoy proxies, but reuse attaches to the cluster's "
                             "Gateway, whose owner sets them: remove them, or remove reuse")
        if self.http01:
            raise ValueError("an ACME HTTP-01 challenge is answered through the Gateway's port 80 listener, which the "
                             "Gateway's owner runs: use challenge dns01-cloudflare or an existing ClusterIssuer, or "
                             "leave tls out and let the listener's own certificate serve the host")
        return self

    @property
    def http01(self) -> bool:
        """Certificates are issued by ACME HTTP-01, answered through this gateway's port 80."""
        issuer = self.tls.issuer
        return isinstance(issuer, AcmeIssuer) and issuer.challenge == "http01"

    @pydantic.field_validator("tenants")
    @classmethod
    def _unique(cls, tenants: list[Tenant]) -> list[Tenant]:
        seen: set[str] = set()
        for tenant in tenants:
            if tenant.name in seen:
                raise ValueError(f"tenant '{tenant.name}' is listed twice")
            seen.add(tenant.name)
        return tenants

    @pydantic.model_validator(mode="after")
    def _limits_need_a_rate_limit_backend(self) -> "GatewaySpec":
        if self.reuse is None or self.reuse.global_rate_limit:
            return self
        for t, tenant in enumerate(self.tenants):
            for field in ("requests_per_minute", "tokens_per_minute", "tokens_per_day"):
                if getattr(tenant, field) is not None:
                    alias = Tenant.model_fields[field].alias or field
                    raise ValueError(
                        f"tenants[{t}].{alias}: limits are counted by the existing Envoy Gateway's global rate limit "
                        "backend; set reuse.globalRateLimit: true once its owner has configured one (Envoy Gateway "
                        "answers 500 to limited requests without it), or drop the tenant's limits")
        return self

    @pydantic.field_validator("tenants")
    @classmethod
    def _limits_fit_one_policy(cls, tenants: list[Tenant]) -> list[Tenant]:
        rules = sum(tenant.rate_limits for tenant in tenants)
        if rules > MAX_RATE_LIMIT_RULES:
            raise ValueError(
                f"{rules} limits in all (each requestsPerMinute, tokensPerMinute and tokensPerDay set is one), but "
                f"Envoy Gateway takes at most {MAX_RATE_LIMIT_RULES} in the one policy that holds every tenant's: "
                "drop limits from some tenants"
            )
        return tenants
