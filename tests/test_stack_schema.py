"""stacks/schema.json is generated from the spec, kept up to date, documents every field and validates the stacks."""

from __future__ import annotations

import json

import jsonschema
import yaml
from pydantic import BaseModel

from modelfleet.cli import main
from modelfleet.spec.json_schema import reference_markdown, schema_text
from modelfleet.spec import StackSpec
from tests.conftest import ROOT


def test_schema_json_and_reference_are_up_to_date():
    assert (ROOT / "stacks" / "schema.json").read_text(encoding="utf-8") == schema_text(), "run `modelfleet schema` and commit stacks/schema.json"
    assert (ROOT / "stacks" / "REFERENCE.md").read_text(encoding="utf-8") == reference_markdown(), "run `modelfleet schema` and commit stacks/REFERENCE.md"


def test_schema_check_command_fails_when_stale(tmp_path, project, capsys):
    project.write("schema.json", "{}\n")
    project.write("REFERENCE.md", "old\n")
    assert main(["schema", "--check", "--project", str(project.root)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["schema", "--project", str(project.root)]) == 0
    assert main(["schema", "--check", "--project", str(project.root)]) == 0


def _models(model: type[BaseModel], seen: set) -> None:
    if model in seen:
        return
    seen.add(model)
    for field in model.model_fields.values():
        for candidate in _types_in(field.annotation):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                _models(candidate, seen)


def _types_in(annotation):
    yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _types_in(arg)


def test_every_spec_field_has_a_description():
    models: set = set()
    _models(StackSpec, models)
    missing = [f"{model.__name__}.{name}" for model in models for name, field in model.model_fields.items() if not field.description]
    assert len(models) > 10 and missing == []


def test_example_stacks_validate_against_the_schema():
    schema = json.loads(schema_text())
    for path in sorted((ROOT / "stacks").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_schema_catches_unknown_config_key():
    schema = json.loads(schema_text())
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors({"config": {"modelfleet:modls": []}}))
    assert errors
