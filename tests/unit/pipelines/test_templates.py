"""The shipped workflow templates: valid JSON Schema, valid defaults, helpful messages, and the
exact parameters the WES backend expects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.backend import JobSpec
from genoflow_desktop.core.pipelines import schema as schemas
from genoflow_desktop.core.pipelines.templates import (
    TEMPLATE_IDS,
    cwl_location,
    load_template,
    load_templates,
    parse_template,
)
from genoflow_desktop.core.services.wes.backend import run_request


@pytest.fixture(params=TEMPLATE_IDS)
def template(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return load_template(request.param)


def test_every_template_loads_in_picker_order() -> None:
    assert [t.id for t in load_templates()] == ["wgs", "wes", "targeted"]


def test_schema_is_valid_draft_2020_12(template) -> None:  # type: ignore[no-untyped-def]
    Draft202012Validator.check_schema(template.schema)
    assert template.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for name, prop in schemas.properties(template.schema).items():
        assert prop.get("title") and prop.get("description"), name


def test_defaults_validate_and_only_the_required_inputs_are_missing(template) -> None:  # type: ignore[no-untyped-def]
    errors = template.field_errors(template.defaults())
    assert set(errors) == schemas.required(template.schema) - set(template.defaults())
    assert set(errors.values()) == {"Required."}


def test_resource_fields_are_offered(template) -> None:  # type: ignore[no-untyped-def]
    fields = schemas.properties(template.schema)
    for name in ("cpus", "memory_gb", "time_h"):
        assert fields[name]["type"] == "integer" and fields[name]["minimum"] >= 1


def test_attachments_exist_and_the_workflow_is_one_of_them(template) -> None:  # type: ignore[no-untyped-def]
    paths = template.attachment_paths()
    assert all(p.is_file() for p in paths)
    assert template.workflow_url in {p.name for p in paths}
    text = paths[0].read_text()
    # Servers here have no network and no Docker: the CWL must stand alone.
    assert not re.search(r"^\s*\$(import|schemas|include)\s*:", text, re.MULTILINE)
    assert "DockerRequirement" not in text and "http" not in text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"cpus": 0}, "cpus", "Must be at least 1."),
        ({"memory_gb": 5000}, "memory_gb", "Must be at most 1024."),
        ({"cpus": 2.5}, "cpus", "Must be a whole number."),
        ({"sample_id": "my sample!"}, "sample_id", "Not in the expected form."),
        ({"sample_id": ""}, "sample_id", "Required."),
        ({"colour": "blue"}, schemas.GENERAL, "Unknown setting(s): colour."),
    ],
)
def test_bad_values_give_a_message_for_their_field(values, field, message) -> None:  # type: ignore[no-untyped-def]
    template = load_template("wgs")
    good = {**template.defaults(), "sample_id": "S1", "reads_1": "/data/r1.fq.gz"}
    assert template.field_errors(good) == {}
    errors = template.field_errors({**good, **values})
    assert errors[field].startswith(message)


def test_submission_is_what_the_wes_backend_expects(tmp_path: Path) -> None:
    template = load_template("wes")
    values = {
        **template.defaults(),
        "sample_id": "NA12878",
        "reads_1": str(tmp_path / "r1.fq.gz"),
        "reads_2": "https://data.example.org/r2.fq.gz",
        "targets": str(tmp_path / "kit.bed"),
    }
    submission = template.submission(values, "1.0.0")
    params = submission.params
    assert params["workflow_url"] == "read_qc.cwl"
    assert params["workflow_type"] == "CWL" and params["workflow_type_version"] == "v1.2"
    assert params["tags"] == {"genoflow_pipeline": "wes", "genoflow_pipeline_version": "1.0.0"}
    wp = params["workflow_params"]
    assert wp["reads_1"] == {"class": "File", "location": "r1.fq.gz"}
    assert wp["reads_2"] == {"class": "File", "location": "https://data.example.org/r2.fq.gz"}
    assert wp["padding_bp"] == 100 and wp["cpus"] == 4
    assert [p.name for p in submission.files] == ["read_qc.cwl", "r1.fq.gz", "kit.bed"]
    # The backend builds its run request from these params without complaint.
    request = run_request(JobSpec("job-1", "exome", params, attachments=tuple(submission.files)))
    assert request.workflow_params["sample_id"] == "NA12878"
    assert request.tags["genoflow_pipeline"] == "wes"


def test_submission_refuses_invalid_values_naming_the_fields() -> None:
    template = load_template("targeted")
    with pytest.raises(UserError) as caught:
        template.submission({**template.defaults(), "cpus": 0}, "1.0.0")
    assert "Sample ID: Required." in caught.value.message
    assert "CPUs: Must be at least 1." in caught.value.message
    with pytest.raises(UserError, match="no version 9"):
        template.submission(
            {**template.defaults(), "sample_id": "S", "reads_1": "a", "targets": "b"}, "9"
        )


@pytest.mark.parametrize(
    ("value", "location", "local"),
    [
        ("/data/run 1/r1.fq.gz", "r1.fq.gz", "/data/run 1/r1.fq.gz"),
        ("s3://bucket/r1.fq.gz", "s3://bucket/r1.fq.gz", None),
        ("C:\\data\\r1.fq", "C:\\data\\r1.fq", "C:\\data\\r1.fq"),
    ],
)
def test_file_values_are_attached_unless_they_are_addresses(value, location, local) -> None:  # type: ignore[no-untyped-def]
    got_location, got_local = cwl_location(value)
    if local is None:
        assert (got_location, got_local) == (location, None)
    else:
        assert got_local == Path(local) and got_location == Path(local).name


def test_a_broken_template_is_refused() -> None:
    good = load_template("wgs")
    data = {
        "format_version": 1,
        "id": "x",
        "name": "X",
        "workflow_url": "read_qc.cwl",
        "versions": [{"version": "1", "workflow_type_version": "v1.2"}],
        "attachments": ["common/read_qc.cwl"],
        "parameters": dict(good.schema),
    }
    assert parse_template(data, "x").id == "x"
    with pytest.raises(ValueError, match="no default"):
        parse_template(
            {**data, "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}}},
            "x",
        )
    with pytest.raises(ValueError, match="default of n"):
        parse_template(
            {
                **data,
                "parameters": {
                    "type": "object",
                    "properties": {"n": {"type": "integer", "default": 0, "minimum": 1}},
                },
            },
            "x",
        )
    with pytest.raises(ValueError, match="not an attachment"):
        parse_template({**data, "workflow_url": "main.cwl"}, "x")
    with pytest.raises(Exception, match="is not valid"):
        parse_template({**data, "parameters": {"type": "objekt"}}, "x")
