"""The base of every typed spec: unknown keys are errors, values are immutable, keys are camelCase
in configuration (as Pulumi config is written) and snake_case in Python.

Text fields get the same care: YAML reads `kubernetesVersion: 1.30` as the number 1.3 and `revision:
0123456` as the octal number 42798, so a number where text is meant is refused with how to quote it,
rather than as "a valid string" (quantities take plain numbers, as Kubernetes does: core/quantity.py).
Numbers are checked the same way in every spec: `true` is not a number (pydantic would read it as
1), and a whole number without a bound of its own may not exceed what a Kubernetes integer field
holds (int32), so no value is accepted here that an API server or controller would refuse later.
"""

from __future__ import annotations

import functools
import types
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
import pydantic
from pydantic.alias_generators import to_camel

INT32_MAX = 2**31 - 1


def _numeric(annotation: Any) -> type | None:
    """int or float when the field holds a number (also Optional[...]), else None."""
    if annotation in (int, float):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        numbers = [a for a in get_args(annotation) if a in (int, float)]
        others = [a for a in get_args(annotation) if a not in (int, float, type(None))]
        return numbers[0] if numbers and not others else None
    return None


def _has_upper_bound(field: pydantic.fields.FieldInfo) -> bool:
    return any(isinstance(m, (annotated_types.Le, annotated_types.Lt)) for m in field.metadata)


class Spec(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )

    def given(self, *fields: str) -> str:
        """Which of `fields` the config set, in its own words (camelCase, comma-separated, sorted):
        for errors about settings that a reused or absent part makes meaningless."""
        names = type(self).model_fields
        return ", ".join(names[f].alias or f for f in sorted(fields) if f in self.model_fields_set)

    @pydantic.model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, alias, _, _ in _number_fields(cls):
                key = alias if alias in data else name
                if isinstance(data.get(key), bool):
                    raise ValueError(f"{alias}: must be a number, not {str(data[key]).lower()}")
            for name, alias in _text_fields(cls):
                key = alias if alias in data else name
                value = data.get(key)
                if isinstance(value, (int, float)):
                    shown = str(value).lower()
                    raise ValueError(f"{alias}: must be text, but YAML read it as the number {shown} (YAML drops the "
                                     "trailing 0 of 1.30 and reads 0123456 as an octal number): write it in quotes as you "
                                     f"mean it, e.g. {alias}: \"...\"")
        return data

    @pydantic.model_validator(mode="after")
    def _int32(self) -> "Spec":
        for name, alias, kind, bounded in _number_fields(type(self)):
            value = getattr(self, name)
            if kind is int and not bounded and isinstance(value, int) and value > INT32_MAX:
                raise ValueError(f"{alias}: must be at most {INT32_MAX:,} (the largest integer Kubernetes takes)")
        return self


@functools.cache
def _number_fields(spec: type[Spec]) -> tuple[tuple[str, str, type, bool], ...]:
    """(name, alias, int or float, has an upper bound of its own) of each number field of a spec class."""
    return tuple((name, field.alias or name, kind, _has_upper_bound(field))
                 for name, field in spec.model_fields.items() if (kind := _numeric(field.annotation)) is not None)


def _is_text(annotation: Any) -> bool:
    """str, an Annotated str without a number-accepting validator, or Optional of one."""
    if annotation is str:
        return True
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        accepts_numbers = any(isinstance(m, pydantic.BeforeValidator) for m in meta)
        return base is str and not accepts_numbers
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return len(members) == 1 and _is_text(members[0])
    return False


@functools.cache
def _text_fields(spec: type[Spec]) -> tuple[tuple[str, str], ...]:
    """(name, alias) of each text field of a spec class."""
    return tuple((name, field.alias or name) for name, field in spec.model_fields.items()
                 if _is_text(field.annotation) and not any(isinstance(m, pydantic.BeforeValidator) for m in field.metadata))
