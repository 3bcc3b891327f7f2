"""The rules of llmstack_policies as pulumi-policy policies; shared by __main__.py and the tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationArgs,
                           ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy)
from pulumi_policy.proxy import UnknownValueError

import llmstack_policies as rules


def plain(value: Any) -> Any:
    """The engine hands policies read-only proxies (Mapping/Sequence) that raise on values unknown
    during a preview; the rules take plain dicts and lists, with unknown values left out."""
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                continue
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                continue
        return items
    return value


def _config(config: Mapping[str, Any] | None) -> dict:
    return {**rules.DEFAULT_CONFIG, **dict(config or {})}


def _resource_policy(rule: rules.Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for message in rule.check(args.resource_type, plain(args.props), _config(args.get_config())):
            report(message, None)

    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY,
                                    config_schema=PolicyConfigSchema(properties=rules.CONFIG_SCHEMA))


def _stack_policy(rule: rules.Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [(r.resource_type, plain(r.props), r.urn) for r in args.resources]
        for message, urn in rule.check(resources):
            report(message, urn)

    return StackValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                 enforcement_level=EnforcementLevel.MANDATORY)


def policies() -> list:
    return [*(_resource_policy(r) for r in rules.RESOURCE_RULES), *(_stack_policy(r) for r in rules.STACK_RULES)]
