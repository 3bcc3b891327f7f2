"""The base of every typed spec: unknown keys are errors, values are immutable, keys are camelCase
in configuration (as Pulumi config is written) and snake_case in Python."""

from __future__ import annotations

import pydantic
from pydantic.alias_generators import to_camel


class Spec(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )
