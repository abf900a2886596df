"""Presets: a pipeline's parameter values kept under a name, in the store or in a JSON file.

A preset file is a small JSON object, ``{"genoflow_preset": 1, "pipeline": "wes", "name": ...,
"params": {...}}``, so colleagues can share settings. Reading one checks its version, its
pipeline and its values against the pipeline's schema: a file that does not fit is refused with
a message saying why, and nothing of it is used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.pipelines.schema import GENERAL, field_errors
from genoflow_desktop.core.store.models import PipelinePreset

#: The version of the preset file format this code writes and reads.
FILE_VERSION = 1
FILE_KEY = "genoflow_preset"


@dataclass(frozen=True)
class Preset:
    pipeline: str
    name: str
    params: dict[str, Any]


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise UserError("A preset needs a name.", hint="For example: 'Exome, 30x, Twist'.")
    return name


def _row(session: Session, pipeline: str, name: str) -> PipelinePreset | None:
    return session.scalar(
        select(PipelinePreset).where(
            PipelinePreset.pipeline == pipeline, PipelinePreset.name == name
        )
    )


def list_presets(session: Session, pipeline: str) -> list[str]:
    return list(
        session.scalars(
            select(PipelinePreset.name)
            .where(PipelinePreset.pipeline == pipeline)
            .order_by(PipelinePreset.name)
        )
    )


def save_preset(session: Session, preset: Preset) -> None:
    """Keep ``preset``, replacing one of the same name (saving again means "update")."""
    name = _clean_name(preset.name)
    row = _row(session, preset.pipeline, name)
    if row is None:
        session.add(PipelinePreset(pipeline=preset.pipeline, name=name, params=dict(preset.params)))
    else:
        row.params = dict(preset.params)
    session.flush()


def load_preset(session: Session, pipeline: str, name: str) -> Preset:
    row = _row(session, pipeline, name)
    if row is None:
        raise UserError(f"There is no preset called '{name}'.", hint="Choose one from the list.")
    return Preset(pipeline, row.name, dict(row.params))


def delete_preset(session: Session, pipeline: str, name: str) -> None:
    row = _row(session, pipeline, name)
    if row is not None:
        session.delete(row)


def export_preset(preset: Preset, path: Path) -> Path:
    document = {
        FILE_KEY: FILE_VERSION,
        "pipeline": preset.pipeline,
        "name": preset.name,
        "params": preset.params,
    }
    try:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    except OSError as exc:
        raise UserError(
            f"Cannot write {path}: {exc.strerror or exc}.", hint="Choose a folder you can write to."
        ) from exc
    return path


def read_preset_file(path: Path, *, pipeline: str, schema: Mapping[str, Any]) -> Preset:
    """The preset in ``path``, checked against ``pipeline`` and its parameter ``schema``."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refused(path, f"it is not JSON ({exc})") from exc
    if not isinstance(document, dict) or FILE_KEY not in document:
        raise _refused(path, "it is not a GenoFlow preset file")
    if document[FILE_KEY] != FILE_VERSION:
        raise _refused(
            path,
            f"it has format version {document[FILE_KEY]!r}; this GenoFlow reads {FILE_VERSION}",
        )
    if document.get("pipeline") != pipeline:
        raise _refused(
            path, f"it is for the pipeline {document.get('pipeline')!r}, not {pipeline!r}"
        )
    name, params = document.get("name"), document.get("params")
    if not isinstance(name, str) or not name.strip() or not isinstance(params, dict):
        raise _refused(path, "it needs a 'name' (text) and 'params' (an object)")
    # A preset may leave fields out (typically the input files): only its values are checked.
    errors = field_errors({**schema, "required": []}, params)
    if errors:
        listed = "; ".join(
            message if field == GENERAL else f"{field}: {message}"
            for field, message in errors.items()
        )
        raise _refused(path, listed)
    return Preset(pipeline, name.strip(), params)


def _refused(path: Path, why: str) -> UserError:
    return UserError(
        f"{path.name} cannot be imported: {why}.".replace("..", "."),
        hint="Export a preset from GenoFlow to see the expected layout.",
    )
