"""JSON Schema of a stack file (`Pulumi.<stack>.yaml`), generated from the config model.

    python -m tools.schema            (what `make schema` runs; writes schema/stack.schema.json)

Editors that speak the YAML language server check stack files as they are typed: the shipped stack
files start with `# yaml-language-server: $schema=./schema/stack.schema.json`. The schema is the same
model the program validates with, so a key the schema lacks is one the program refuses; the program
still decides (it also checks what a schema cannot: fit, placement, names across sections).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic.json_schema import GenerateJsonSchema  # noqa: E402

from infra.config import PROJECT, SECRET_KEYS, SECRET_MAPS, StackConfig  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema" / "stack.schema.json"
SECRET = {
    "type": "object", "properties": {"secure": {"type": "string"}}, "required": ["secure"], "additionalProperties": False,
    "description": "a Pulumi secret: pulumi config set --secret <key> <value>",
}


class _StackSchema(GenerateJsonSchema):
    def is_instance_schema(self, schema: Any) -> dict:
        """The config model's only non-JSON type is a Pulumi secret (an Output): in a stack file, {secure: ...}."""
        return dict(SECRET)


def stack_file_schema() -> dict:
    model = StackConfig.model_json_schema(by_alias=True, schema_generator=_StackSchema)
    properties = {f"{PROJECT}:{key}": value for key, value in model["properties"].items()}
    for key in SECRET_KEYS:
        properties[f"{PROJECT}:{key}"] = dict(SECRET)
    for key in SECRET_MAPS:
        properties[f"{PROJECT}:{key}"] = {
            "type": "object", "additionalProperties": dict(SECRET),
            "description": f"a map of Pulumi secrets: pulumi config set --secret --path '{key}.<name>' <value>",
        }
    required = [f"{PROJECT}:{key}" for key in model.get("required", []) if key != "environment"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{PROJECT} stack file (Pulumi.<stack>.yaml)",
        "description": "Generated from infra/config.py StackConfig by `make schema`; do not edit.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": properties,
                "required": required,
                # Keys of other namespaces (pulumi:, kubernetes:, aws:) belong to Pulumi and its providers.
                "patternProperties": {f"^(?!{PROJECT}:)[^:]+:.+$": {}},
                "additionalProperties": False,
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
        },
        "$defs": model.get("$defs", {}),
    }


def render() -> str:
    return json.dumps(stack_file_schema(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_FILE.parent.mkdir(exist_ok=True)
    SCHEMA_FILE.write_text(render())
    print(f"wrote {SCHEMA_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
