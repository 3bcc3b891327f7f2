"""The one error a cloud spec raises for a mutated config, as `path: message` (pydantic's own path)."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pydantic
import pytest


def spec_error(spec: type[pydantic.BaseModel], base: dict, mutate: Callable[[dict], Any]) -> str:
    data = copy.deepcopy(base)
    mutate(data)
    with pytest.raises(pydantic.ValidationError) as caught:
        spec.model_validate(data)
    (first,) = caught.value.errors()
    path = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{path}: {message}" if path else message


def first_pool(**fields) -> Callable[[dict], None]:
    return lambda d: d["gpuPools"][0].update(fields)
