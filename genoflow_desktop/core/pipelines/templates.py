"""Workflow templates shipped in ``resources/pipelines/``: WGS, WES and targeted panels.

Each ``<id>.json`` names a GA4GH WES workflow (``workflow_url``, ``workflow_type``), its
versions, the files it ships (paths under ``resources/pipelines/``, sent as
``workflow_attachment`` under their base names, so a relative ``workflow_url`` names one of
them), and the JSON Schema of its parameters (see :mod:`.schema`).

:meth:`PipelineTemplate.submission` turns a form's values into the job parameters the WES
backend expects (``workflow_url``, ``workflow_type``, ``workflow_type_version``,
``workflow_params``, ``tags``) and the files to attach.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from genoflow_desktop.core import resources
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.pipelines import schema as schemas

#: The templates in the order the pipeline picker lists them.
TEMPLATE_IDS = ("wgs", "wes", "targeted")
FORMAT_VERSION = 1
_RESOURCE_DIR = "pipelines"


@dataclass(frozen=True)
class TemplateVersion:
    version: str
    workflow_type_version: str


@dataclass(frozen=True)
class Submission:
    """What :meth:`JobRunner.submit_new` takes for a workflow job, besides service and name."""

    params: dict[str, Any]
    files: list[Path]


@dataclass(frozen=True)
class PipelineTemplate:
    id: str
    name: str
    description: str
    workflow_url: str
    workflow_type: str
    versions: tuple[TemplateVersion, ...]  # the newest first
    attachments: tuple[str, ...]  # paths under resources/pipelines/
    schema: Mapping[str, Any]

    def defaults(self) -> dict[str, Any]:
        return schemas.defaults(self.schema)

    def field_errors(self, values: Mapping[str, Any]) -> dict[str, str]:
        return schemas.field_errors(self.schema, values)

    def version(self, wanted: str) -> TemplateVersion:
        for version in self.versions:
            if version.version == wanted:
                return version
        raise UserError(
            f"{self.name} has no version {wanted}.",
            hint="Choose one of: " + ", ".join(v.version for v in self.versions) + ".",
        )

    def attachment_paths(self) -> list[Path]:
        # Installed resources are plain files in every supported install (editable, wheel,
        # PyInstaller folder), and the WES client streams attachments from paths.
        return [
            Path(str(resources.resource(_RESOURCE_DIR, *name.split("/"))))
            for name in self.attachments
        ]

    def submission(self, values: Mapping[str, Any], version: str) -> Submission:
        """The job's params and files; UserError listing the fields that need attention."""
        errors = self.field_errors(values)
        if errors:
            fields = schemas.properties(self.schema)
            listed = "; ".join(
                f"{fields[name].get('title', name) if name in fields else 'Parameters'}: {message}"
                for name, message in errors.items()
            )
            raise UserError(f"Some parameters need attention: {listed}")
        chosen = self.version(version)
        files = self.attachment_paths()
        workflow_params: dict[str, Any] = {}
        for name, value in values.items():
            prop = schemas.properties(self.schema)[name]
            if schemas.is_file(prop):
                location, local = cwl_location(str(value))
                workflow_params[name] = {"class": "File", "location": location}
                if local is not None:
                    files.append(local)
            else:
                workflow_params[name] = value
        return Submission(
            params={
                "workflow_url": self.workflow_url,
                "workflow_type": self.workflow_type,
                "workflow_type_version": chosen.workflow_type_version,
                "workflow_params": workflow_params,
                "tags": {"genoflow_pipeline": self.id, "genoflow_pipeline_version": chosen.version},
            },
            files=files,
        )


def cwl_location(value: str) -> tuple[str, Path | None]:
    """Where a file parameter points: (CWL location, local file to attach or None).

    Addresses with a scheme (https://, s3://, drs://) are the server's business and pass as
    they are. A local path is attached, and the run refers to it by its base name, which is
    how WES servers stage attachments.
    """
    scheme = urlsplit(value).scheme
    # A one-letter "scheme" is a Windows drive ("C:\\data\\r1.fq"), not an address.
    if len(scheme) > 1:
        return value, None
    path = Path(value).expanduser()
    return path.name, path


def load_template(template_id: str) -> PipelineTemplate:
    """Read and check one template. A broken shipped template is a bug: ValueError."""
    data = json.loads(resources.read_bytes(_RESOURCE_DIR, f"{template_id}.json"))
    return parse_template(data, template_id)


def load_templates() -> list[PipelineTemplate]:
    """Every shipped template (reads resource files: call it off the GUI thread)."""
    return [load_template(template_id) for template_id in TEMPLATE_IDS]


def parse_template(data: Mapping[str, Any], template_id: str) -> PipelineTemplate:
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"template {template_id}: format_version must be {FORMAT_VERSION}")
    parameters = data["parameters"]
    schemas.check_schema(parameters)
    template = PipelineTemplate(
        id=str(data["id"]),
        name=str(data["name"]),
        description=str(data.get("description", "")),
        workflow_url=str(data["workflow_url"]),
        workflow_type=str(data.get("workflow_type", "CWL")),
        versions=tuple(
            TemplateVersion(str(v["version"]), str(v["workflow_type_version"]))
            for v in data["versions"]
        ),
        attachments=tuple(str(name) for name in data.get("attachments", ())),
        schema=parameters,
    )
    _check(template)
    return template


def _check(template: PipelineTemplate) -> None:
    where = f"template {template.id}"
    if not template.versions:
        raise ValueError(f"{where}: no versions")
    names = [PurePosixPath(name).name for name in template.attachments]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: two attachments share a base name ({names})")
    for path in template.attachment_paths():
        if not path.is_file():
            raise ValueError(f"{where}: attachment {path} is missing")
    if not urlsplit(template.workflow_url).scheme and template.workflow_url not in names:
        raise ValueError(f"{where}: workflow_url {template.workflow_url} is not an attachment")
    for name, prop in schemas.properties(template.schema).items():
        # A number field always shows a number, so it needs one to start from.
        if prop.get("type") in ("integer", "number") and "default" not in prop:
            raise ValueError(f"{where}: number parameter {name} has no default")
        if "default" in prop:
            errors = schemas.field_errors({"properties": {name: prop}}, {name: prop["default"]})
            if errors:
                raise ValueError(f"{where}: default of {name} is invalid: {errors}")
