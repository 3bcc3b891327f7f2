"""Turn pydantic validation errors into config problems a person can act on.

Paths are written the way the user wrote the config (`models[1].replicas.max`), unknown keys name
the keys that are allowed (and the closest one), and pydantic's own prefixes are stripped.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Sequence, TypeVar, Union, get_args, get_origin

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
        if _tagged(current):
            current = _tagged(current).get(str(part))
            continue
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


def _tagged(tp: Any) -> dict[str, type[pydantic.BaseModel]] | None:
    """The members of a discriminated union (by their `type` tag), or None for any other type."""
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) is not Union:
        return None
    members = {}
    for member in get_args(tp):
        if _is_model(member) and "type" in member.model_fields:
            for tag in get_args(member.model_fields["type"].annotation):
                members[str(tag)] = member
    return members or None


def _without_tags(root: type[pydantic.BaseModel], loc: Sequence[str | int]) -> list[str | int]:
    """pydantic puts a discriminated union's tag in the error location (`cluster.eks.region`); the
    user wrote `cluster.region`, with the tag as the value of `type`."""
    clean: list[str | int] = []
    for index, part in enumerate(loc):
        if isinstance(part, str) and _tagged(_annotation_at(root, loc[:index])) is not None:
            continue
        clean.append(part)
    return clean


def _annotation_at(root: type[pydantic.BaseModel], loc: Sequence[str | int]) -> Any:
    if not loc:
        return root
    holder = _model_at(root, loc[:-1])
    if holder is None:
        return None
    by_alias = {_field_alias(n, f): f for n, f in holder.model_fields.items()}
    field = by_alias.get(str(loc[-1])) or holder.model_fields.get(str(loc[-1]))
    return field.annotation if field is not None else None


_SUBPATH = re.compile(r"^([a-z][A-Za-z0-9]*(?:\[\d+\])?(?:\.[a-z][A-Za-z0-9]*(?:\[\d+\])?)*): (.+)$", re.S)


def _split_subpath(root: type[pydantic.BaseModel], raw_loc: Sequence[str | int], loc: list[str | int],
                   message: str) -> tuple[list[str | int], str]:
    """A model-level check may name the field it is about (`network.availabilityZones: ...`); put
    that field in the path, where the user looks for it."""
    match = _SUBPATH.match(message)
    holder = _model_at(root, raw_loc)
    if not match or holder is None:
        return loc, message
    first = re.split(r"[.\[]", match.group(1), maxsplit=1)[0]
    if first not in {_field_alias(n, f) for n, f in holder.model_fields.items()}:
        return loc, message
    extra: list[str | int] = []
    for name, index in re.findall(r"([A-Za-z0-9]+)(?:\[(\d+)\])?", match.group(1)):
        extra.append(name)
        if index:
            extra.append(int(index))
    return [*loc, *extra], match.group(2)


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
        raw_loc = item["loc"]
        loc = _without_tags(root, raw_loc)
        kind = item["type"]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            tags = ", ".join(sorted(_tagged(_annotation_at(root, raw_loc)) or {}))
            got = item.get("ctx", {}).get("tag")
            message = f"'{got}' is not a known type; use one of: {tags}" if got else f"required, but not set (one of: {tags})"
            problems.append(Problem(format_path([*loc, "type"], prefix), message))
            continue
        if kind == "extra_forbidden":
            message = _unknown_key_message(root, raw_loc)
        elif kind == "missing":
            message = "required, but not set"
        elif kind == "too_short":
            message = f"must have at least {item['ctx']['min_length']} entry"
        elif kind in ("value_error", "assertion_error") and "error" in item.get("ctx", {}):
            loc, message = _split_subpath(root, raw_loc, loc, str(item["ctx"]["error"]))
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
