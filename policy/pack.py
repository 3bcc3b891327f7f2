"""The rules of llmstack_policies as pulumi-policy policies; shared by __main__.py and the tests."""

from __future__ import annotations

from typing import Any, Mapping

from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationArgs,
                           ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy)

import llmstack_policies as rules


def _config(config: Mapping[str, Any] | None) -> dict:
    return {**rules.DEFAULT_CONFIG, **dict(config or {})}


def _resource_policy(rule: rules.Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for message in rule.check(args.resource_type, dict(args.props), _config(args.get_config())):
            report(message, None)

    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY,
                                    config_schema=PolicyConfigSchema(properties=rules.CONFIG_SCHEMA))


def _stack_policy(rule: rules.Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [(r.resource_type, dict(r.props), r.urn) for r in args.resources]
        for message, urn in rule.check(resources):
            report(message, urn)

    return StackValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                 enforcement_level=EnforcementLevel.MANDATORY)


def policies() -> list:
    return [*(_resource_policy(r) for r in rules.RESOURCE_RULES), *(_stack_policy(r) for r in rules.STACK_RULES)]
