"""Pure builders of the gateway layer, where their logic is more than a literal: the names of the
per-model headless Services, Redis's config file, and the rate limiter's REDIS_AUTH."""

from __future__ import annotations

import re

import pytest

from components.core.cluster import SystemPlacement
from components.core.gateway import objects as gw
from components.core.gateway.values import envoy_gateway_values

# A Service name: an RFC 1035 label (starts with a letter, at most 63 characters).
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


@pytest.mark.parametrize("model", ["qwen3-8b", "m" * 53, "m" * 54, "a" + "b" * 62])
def test_endpoints_service_names_are_valid_and_unique(model):
    name = gw.endpoints_service_name(model)
    assert DNS_1035.match(name) and name.endswith("-endpoints"), name
    other = model[:-1] + ("x" if model[-1] != "x" else "y")
    assert gw.endpoints_service_name(other) != name


def test_redis_config_sets_only_the_password():
    assert "".join(gw.redis_config("s3cret")) == "requirepass s3cret\n"


def test_the_rate_limiter_authenticates_with_the_redis_secret():
    values = envoy_gateway_values(SystemPlacement(), True, "redis-auth-x1")
    patch = values["config"]["envoyGateway"]["provider"]["kubernetes"]["rateLimitDeployment"]["patch"]
    (container,) = patch["value"]["spec"]["template"]["spec"]["containers"]
    # Envoy Gateway v1.8.3 names the container InfraName ("envoy-ratelimit"): strategic merge matches it by name.
    assert container["name"] == "envoy-ratelimit"
    assert container["env"] == [{"name": "REDIS_AUTH", "valueFrom": {"secretKeyRef": {"name": "redis-auth-x1", "key": "password"}}}]
    assert "rateLimit" not in envoy_gateway_values(SystemPlacement(), False)["config"]["envoyGateway"]
