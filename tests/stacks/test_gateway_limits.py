"""Tenant limits are whole numbers Envoy Gateway accepts. Every tenant's limits share one
BackendTrafficPolicy, which the API server refuses whole if one value is out of its CRD's range: so
a bad value fails the preview, naming its config path and the bound, instead of taking every
tenant's limits down at deploy time."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from components.core.gateway import objects as gw
from components.core.gateway.spec import MAX_RATE_LIMIT, MAX_RATE_LIMIT_RULES
from tests.conftest import ROOT
from tests.crds import schema_of, validate

LIMITS = ("requestsPerMinute", "tokensPerMinute", "tokensPerDay")


def load_with(tmp_path: Path, mutate):
    """The prod stack's config with `mutate` applied to its gateway settings, through the program's loader."""
    from tools.plan import load_config

    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    config = copy.deepcopy(document["config"])
    mutate(config["llmstack:gateway"])
    path = tmp_path / "Pulumi.limits.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return load_config("limits", path)


def problems(tmp_path: Path, mutate) -> list[str]:
    from components.core.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        load_with(tmp_path, mutate)
    return [str(problem) for problem in raised.value.problems]


def test_the_bound_is_the_crds():
    """The maximum checked in config is the one the pinned CRD declares."""
    rule = schema_of("BackendTrafficPolicy", gw.ENVOY_API_VERSION)["properties"]["spec"]["properties"]["rateLimit"][
        "properties"]["global"]["properties"]["rules"]
    assert rule["items"]["properties"]["limit"]["properties"]["requests"]["maximum"] == MAX_RATE_LIMIT
    assert rule["maxItems"] == MAX_RATE_LIMIT_RULES


@pytest.mark.parametrize("field", LIMITS)
def test_a_limit_above_envoy_gateways_maximum_names_its_path_and_the_bound(tmp_path, field):
    def mutate(gateway):
        gateway["tenants"][1][field] = MAX_RATE_LIMIT + 1

    assert problems(tmp_path, mutate) == [f"gateway.tenants[1].{field}: Input should be less than or equal to {MAX_RATE_LIMIT}"]


@pytest.mark.parametrize("value, message", [
    (True, "must be a number, not true"),
    (False, "must be a number, not false"),
    (1.5, "Input should be a valid integer (got 1.5)"),
    (600.0, "Input should be a valid integer (got 600.0)"),
    ("600", "Input should be a valid integer (got '600')"),
])
@pytest.mark.parametrize("field", LIMITS)
def test_a_limit_must_be_a_whole_number_not_a_boolean_float_or_string(tmp_path, field, value, message):
    def mutate(gateway):
        gateway["tenants"][0][field] = value

    assert problems(tmp_path, mutate) == [f"gateway.tenants[0].{field}: {message}"]


def test_the_largest_limits_pass_and_render_a_valid_policy(tmp_path):
    def mutate(gateway):
        gateway["tenants"][0].update({field: MAX_RATE_LIMIT for field in LIMITS})

    config = load_with(tmp_path, mutate)
    tenant = config.gateway.tenants[0]
    assert (tenant.requests_per_minute, tenant.tokens_per_minute, tenant.tokens_per_day) == (MAX_RATE_LIMIT,) * 3
    assert all(type(limit) is int for limit in (tenant.requests_per_minute, tenant.tokens_per_minute, tenant.tokens_per_day))
    [policy] = gw.backend_traffic_policy(config.gateway, [m.name for m in config.models], "llm", {})
    validate(policy)


def test_more_limits_than_one_policy_holds_are_refused(tmp_path):
    per_tenant = len(LIMITS)
    count = MAX_RATE_LIMIT_RULES // per_tenant + 1

    def mutate(gateway):
        gateway["tenants"] = [{"name": f"t{i}", "models": ["*"], **{field: 10 for field in LIMITS}} for i in range(count)]

    (problem,) = problems(tmp_path, mutate)
    assert problem.startswith(f"gateway.tenants: {count * per_tenant} limits in all")
    assert f"at most {MAX_RATE_LIMIT_RULES}" in problem

    def at_the_bound(gateway):
        mutate(gateway)
        del gateway["tenants"][-1]["tokensPerDay"]
        del gateway["tenants"][-1]["tokensPerMinute"]

    config = load_with(tmp_path, at_the_bound)
    [policy] = gw.backend_traffic_policy(config.gateway, [m.name for m in config.models], "llm", {})
    validate(policy)
