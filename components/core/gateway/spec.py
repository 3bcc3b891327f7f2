"""Typed gateway settings: `gateway:` in stack config.

One HTTPS host serves the OpenAI-compatible API of every model. Tenants hold API keys (generated,
kept as Pulumi secrets) and are granted models and limits by name.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional, Union

import pydantic

from ..catalog.charts import CERT_MANAGER
from ..base import Spec
from ..cluster import DnsLabel

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
