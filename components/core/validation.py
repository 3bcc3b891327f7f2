"""Turn pydantic validation errors into config problems a person can act on.

Paths are written the way the user wrote the config (`models[1].replicas.max`), unknown keys name
the keys that are allowed (and the closest one), and pydantic's own prefixes are stripped.
"""

from __future__ import annotations

import difflib
from typing import Any, Sequence, TypeVar, get_args, get_origin

import pydantic

from .errors import ConfigError, Problem

M = TypeVar("M", bound=pydantic.BaseModel)


def format_path(loc: Sequence[str | int], prefix: str = "") -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def _field_alias(name: str, field: Any) -> str:
    return field.alias or name


def _model_at(root: type[pydantic.BaseModel], loc: Sequence[str | int]) -> type[pydantic.BaseModel] | None:
    """The pydantic model class found by walking `loc` from `root` through fields, lists and dicts."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        origin = get_origin(current)
        if origin in (list, tuple):
            current = get_args(current)[0]
        elif origin is dict:
            current = get_args(current)[1]
        elif _is_model(current):
            by_alias = {_field_alias(n, f): f for n, f in current.model_fields.items()}
            field = by_alias.get(str(part)) or current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    current = _unwrap(current)
    return current if _is_model(current) else None


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)


def _unwrap(tp: Any) -> Any:
    """Strip Optional[...] and Annotated[...] around a model type."""
    origin = get_origin(tp)
    if origin is None:
        return tp
    if origin in (list, tuple, dict):
        return tp
    args = [a for a in get_args(tp) if a is not type(None)]
    models = [a for a in args if _is_model(a)]
    if models:
        return models[0]
    containers = [a for a in args if get_origin(a) in (list, tuple, dict)]
    if containers:
        return containers[0]
    return args[0] if args else tp


def _unknown_key_message(root: type[pydantic.BaseModel], loc: Sequence[str | int]) -> str:
    holder = _model_at(root, loc[:-1])
    if holder is None:
        return "unknown key"
    allowed = sorted(_field_alias(n, f) for n, f in holder.model_fields.items())
    key = str(loc[-1])
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key{hint} (allowed: {', '.join(allowed)})"


def problems_from(error: pydantic.ValidationError, root: type[pydantic.BaseModel], prefix: str = "") -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = item["loc"]
        kind = item["type"]
        if kind == "extra_forbidden":
            message = _unknown_key_message(root, loc)
        elif kind == "missing":
            message = "required, but not set"
        elif kind == "too_short":
            message = f"must have at least {item['ctx']['min_length']} entry"
        elif kind in ("value_error", "assertion_error") and "error" in item.get("ctx", {}):
            message = str(item["ctx"]["error"])
        else:
            message = item["msg"]
            if kind.startswith(("int_", "float_", "bool_", "string_", "list_", "dict_", "model_")):
                message = f"{message} (got {_show(item.get('input'))})"
        problems.append(Problem(format_path(loc, prefix), message))
    return problems


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate `data` as `model`, or raise a ConfigError with one problem per mistake."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as err:
        raise ConfigError(problems_from(err, model, prefix)) from None
