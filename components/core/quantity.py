"""Kubernetes resource quantities: validation and conversion, so sizes can be compared before deploy."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

import pydantic

_SUFFIX = {
    "": 1, "m": Decimal("0.001"),
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}
_QUANTITY = re.compile(r"^(?P<number>[0-9]+(\.[0-9]+)?)(?P<suffix>m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def parse_quantity(text: str) -> Decimal:
    """The value of a quantity such as '500m', '8Gi' or '2' as a Decimal (bytes, or cores)."""
    match = _QUANTITY.match(str(text))
    if not match:
        raise ValueError(
            f"'{text}' is not a Kubernetes quantity; write it like '4', '500m', '16Gi' or '100G'"
        )
    return Decimal(match["number"]) * Decimal(_SUFFIX[match["suffix"] or ""])



def _number_as_text(value: Any) -> Any:
    """Kubernetes takes `cpu: 8` as well as `cpu: "8"`; so do we (YAML reads the first as a number)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, "g") if isinstance(value, float) else str(value)
    return value


def _checked(value: str) -> str:
    parse_quantity(value)
    return value


NUMBER_AS_TEXT = pydantic.BeforeValidator(_number_as_text)
Quantity = Annotated[str, NUMBER_AS_TEXT, pydantic.AfterValidator(_checked)]
"""A Kubernetes quantity ('4', 500m, 16Gi), written as text or as a plain number."""
