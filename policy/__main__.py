"""The llmstack policy pack: `pulumi preview --policy-pack policy` (see docs/guardrails.md)."""

from pulumi_policy import EnforcementLevel, PolicyPack

from pack import policies

PolicyPack(name="llmstack", enforcement_level=EnforcementLevel.MANDATORY, policies=policies())
