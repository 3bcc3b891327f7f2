"""schema/stack.schema.json is the config model's, current, and every shipped stack file passes it;
a misspelt key does not."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from tests.conftest import EXTRA_STACKS, ROOT
from tools.schema import SCHEMA_FILE, render

STACK_FILES = [*sorted(ROOT.glob("Pulumi.*.yaml")), *EXTRA_STACKS.values()]


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_committed_schema_is_current():
    assert SCHEMA_FILE.read_text() == render(), "the config model changed: run `make schema` and commit the result"


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_shipped_stack_file_passes_and_points_editors_at_it(path):
    assert [e.message for e in validator().iter_errors(yaml.safe_load(path.read_text()))] == []
    assert path.read_text().startswith("# yaml-language-server: $schema="), "editors find the schema through this line"


@pytest.mark.parametrize("mutate, fragment", [
    (lambda c: c.update({"llmstack:teem": "x"}), "llmstack:teem"),
    (lambda c: c["llmstack:models"][0]["engine"].update(maxModelLenght=4096), "maxModelLenght"),
    (lambda c: c.update({"llmstack:hfToken": "plain"}), "is not of type 'object'"),
])
def test_the_schema_catches_what_editors_should_underline(mutate, fragment):
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    mutate(document["config"])
    messages = " ".join(e.message for e in validator().iter_errors(document))
    assert fragment in messages
