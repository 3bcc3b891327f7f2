"""Typed gateway settings: `gateway:` in stack config.

One HTTPS host serves the OpenAI-compatible API of every model. Tenants hold API keys (generated,
kept as Pulumi secrets) and are granted models and limits by name.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional, Union

import pydantic

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
    server: str = pydantic.Field("production", description="production, staging, or an ACME directory URL")
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


class TlsSpec(Spec):
    issuer: Issuer = SelfSignedIssuer(type="selfSigned")


class Tenant(Spec):
    """One API consumer: its own key, the models it may call, and its limits."""

    name: DnsLabel = pydantic.Field(description="names the tenant's key; sent upstream as x-llmstack-tenant")
    models: list[str] = pydantic.Field(min_length=1, description="names of `models` entries it may call, or [\"*\"]")
    requests_per_minute: Optional[int] = pydantic.Field(None, ge=1, description="unset: no request limit")
    tokens_per_minute: Optional[int] = pydantic.Field(None, ge=1, description="prompt + completion tokens; unset: no limit")
    tokens_per_day: Optional[int] = pydantic.Field(None, ge=1, description="prompt + completion tokens; unset: no limit")


class GatewaySpec(Spec):
    host: Hostname = pydantic.Field(description="the one host name clients use: https://<host>/v1")
    tls: TlsSpec = TlsSpec()
    tenants: list[Tenant] = pydantic.Field(min_length=1, description="API consumers; each gets a generated key")
    replicas: int = pydantic.Field(2, ge=1, le=20, description="Envoy proxy replicas, on the system pool")
    service_type: Literal["LoadBalancer", "NodePort", "ClusterIP"] = pydantic.Field(
        "LoadBalancer", description="the Envoy Service; ClusterIP for a local cluster reached by port-forward"
    )
    request_timeout_seconds: int = pydantic.Field(
        900, ge=300, le=3600, description="longest request, first byte to last streamed token"
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
