"""No stack file, however broken, makes the program fail with anything but a ConfigError (one line
per problem, no traceback). Every value of every shipped stack is replaced, one at a time, by values
of the wrong kind and at the edges; each result is validated through the program's loader, and a
sample of those it accepts is planned end to end."""

from __future__ import annotations

import copy
import random
from typing import Any, Iterator

import pytest

from components.core.errors import ConfigError
from tests.stacks.test_routine_changes import planned, stack_document
from tools.plan import flatten_config, project_name

ODD_VALUES: list[Any] = [None, True, -1, 2**63, "", "x\ny\tü", [None], {"x": 1}]
# One stack of each cluster type (EKS, an existing cluster): the others share their config schema.
STACKS = ["prod", "dev"]


def locations(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every place in the config document a value can be replaced: mapping keys and list items."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from locations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from locations(item, (*path, index))


def replaced(config: dict, path: tuple, value: Any) -> dict:
    mutant = copy.deepcopy(config)
    holder = mutant
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = value
    return mutant


def load(config: dict, stack: str):
    from infra.config import load as load_config

    values, secret_keys = flatten_config(config, project_name())
    prefix = f"{project_name()}:"
    raw = {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)}
    return load_config(raw, {k[len(prefix):] for k in secret_keys}, stack)


def mutants(stack: str) -> Iterator[tuple[tuple, Any, dict]]:
    config = stack_document(stack)
    for path in locations(config):
        if path:
            for value in ODD_VALUES:
                yield path, value, replaced(config, path, value)


@pytest.mark.parametrize("stack", STACKS)
def test_every_odd_value_is_a_config_error_or_a_valid_config(stack):
    accepted = []
    for path, value, config in mutants(stack):
        try:
            load(config, stack)
        except ConfigError as err:
            lines = err.render().splitlines()
            assert len(lines) == 1 + len(err.problems), f"{path}={value!r}: a problem spans lines:\n{err.render()}"
        except Exception as err:  # noqa: BLE001 - the point: nothing else may escape
            pytest.fail(f"{stack}: {'.'.join(map(str, path))} = {value!r} raised {type(err).__name__}: {err}")
        else:
            accepted.append((path, value, config))
    # A sample of what validation accepts must plan end to end (the same program `pulumi up` runs).
    for path, value, config in random.Random(stack).sample(accepted, min(2, len(accepted))):
        try:
            planned(config, stack)
        except Exception as err:  # noqa: BLE001
            pytest.fail(f"{stack}: accepted {'.'.join(map(str, path))} = {value!r}, then planning raised "
                        f"{type(err).__name__}: {err}")
