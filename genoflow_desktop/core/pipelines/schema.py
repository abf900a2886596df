"""The parameter schemas of pipeline templates (JSON Schema draft 2020-12), read for forms.

A template's ``parameters`` is a JSON Schema of one flat object: each property is one form field
with a ``title``, a ``description``, and ``default``/``enum``/``minimum``/``maximum``/``pattern``
where they apply. Local files are strings with ``"format": "file"`` (and an optional
``x-file-filter`` for the file chooser); they become CWL ``File`` objects on submission.

Errors are turned into short messages per field, because the form shows them next to the field
they are about, where the user is looking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

#: The key of :func:`field_errors` messages that belong to no single field.
GENERAL = ""

Schema = Mapping[str, Any]


def check_schema(schema: Schema) -> None:
    """Raise ``jsonschema.SchemaError`` unless ``schema`` is a valid draft 2020-12 schema."""
    Draft202012Validator.check_schema(schema)


def properties(schema: Schema) -> dict[str, dict[str, Any]]:
    """The fields of the schema, in the order the template lists them."""
    return dict(schema.get("properties", {}))


def required(schema: Schema) -> frozenset[str]:
    return frozenset(schema.get("required", ()))


def is_file(prop: Mapping[str, Any]) -> bool:
    return prop.get("type") == "string" and prop.get("format") == "file"


def defaults(schema: Schema) -> dict[str, Any]:
    """The value each field starts with: its default, where it has one."""
    return {name: prop["default"] for name, prop in properties(schema).items() if "default" in prop}


def field_errors(schema: Schema, values: Mapping[str, Any]) -> dict[str, str]:
    """A message per field whose value the schema refuses (``GENERAL`` for the object itself)."""
    # jsonschema reports a missing property against the object, without naming it apart.
    messages = {name: "Required." for name in schema.get("required", ()) if name not in values}
    for error in Draft202012Validator(schema).iter_errors(dict(values)):
        if error.validator == "required" and not error.path:
            continue
        name, message = _describe(error, schema)
        # The first message per field is enough: it is the one to fix first.
        messages.setdefault(name, message)
    return messages


def _describe(error: ValidationError, schema: Schema) -> tuple[str, str]:
    keyword, limit = error.validator, error.validator_value
    if error.path:
        name = str(error.path[0])
        if error.instance == "":
            # Whatever else an empty text breaks (a pattern, a length), what it needs is a value.
            return name, "Required."
    elif keyword == "additionalProperties":
        unknown = sorted(set(error.instance) - set(properties(schema)))
        return GENERAL, f"Unknown setting(s): {', '.join(unknown)}."
    else:
        return GENERAL, error.message
    return name, _message(str(keyword), limit, error, properties(schema).get(name, {}))


def _message(keyword: str, limit: Any, error: ValidationError, prop: Mapping[str, Any]) -> str:
    if keyword == "minimum":
        return f"Must be at least {limit}."
    if keyword == "maximum":
        return f"Must be at most {limit}."
    if keyword == "exclusiveMinimum":
        return f"Must be more than {limit}."
    if keyword == "exclusiveMaximum":
        return f"Must be less than {limit}."
    if keyword == "minLength":
        return "Required." if limit == 1 else f"Use at least {limit} characters."
    if keyword == "maxLength":
        return f"Use at most {limit} characters."
    if keyword == "enum":
        return "Choose one of: " + ", ".join(str(v) for v in limit) + "."
    if keyword == "pattern":
        # The description says in words what the pattern wants.
        return f"Not in the expected form. {prop.get('description', '')}".strip()
    if keyword == "type":
        kinds = {"integer": "a whole number", "number": "a number", "boolean": "true or false"}
        return f"Must be {kinds.get(str(limit), limit)}."
    return str(error.message)
