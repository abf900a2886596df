"""The generated parameter forms and the imputation form, on their own."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QLineEdit, QSpinBox

from genoflow_desktop.core.pipelines.templates import TEMPLATE_IDS, load_template
from genoflow_desktop.core.services.cloudgene.models import parse_app
from genoflow_desktop.core.store import Store
from genoflow_desktop.qt.views.pipelines.imputation_form import ImputationForm
from genoflow_desktop.qt.views.pipelines.schema_form import SchemaForm
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.fakes.cloudgene_catalog import app_response

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "caller": {
            "type": "string",
            "title": "Variant caller",
            "description": "Which caller to run.",
            "enum": ["gatk", "deepvariant"],
            "default": "gatk",
        },
        "joint": {"type": "boolean", "title": "Joint calling", "description": "d", "default": True},
        "label": {"type": "string", "title": "Label", "description": "Free text."},
    },
    "required": ["caller"],
    "additionalProperties": False,
}


def visible_error(form: SchemaForm, name: str) -> str:
    label = form.fields[name].error
    return label.text() if not label.isHidden() else ""


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_each_template_gets_a_widget_per_type(qtbot, template_id: str) -> None:  # type: ignore[no-untyped-def]
    template = load_template(template_id)
    form = SchemaForm(template.schema)
    qtbot.addWidget(form)
    fields = form.fields
    assert isinstance(fields["sample_id"].editor, QLineEdit)
    assert isinstance(fields["reads_1"].editor, QLineEdit) and fields["reads_1"].browse is not None
    assert fields["sample_id"].browse is None
    cpus = fields["cpus"].editor
    assert isinstance(cpus, QSpinBox)
    assert (cpus.minimum(), cpus.maximum(), cpus.value()) == (1, 128, template.defaults()["cpus"])
    if template_id == "wgs":
        assert isinstance(fields["genome_size_mb"].editor, QDoubleSpinBox)
        assert fields["genome_size_mb"].editor.value() == 3100
    else:
        assert fields["targets"].required
    # Required fields are marked, and every editor has a name for screen readers.
    labels = {label.text() for label in form.findChildren(QLabel)}
    assert "Sample ID *" in labels and "Reads (R1) *" in labels and "Mate reads (R2)" in labels
    assert all(f.editor.accessibleName() == f.title for f in fields.values())
    # The defaults are in place; the empty required inputs are flagged.
    assert form.values() == template.defaults()
    assert not form.is_valid
    assert visible_error(form, "sample_id") == "Required."


def test_enum_and_boolean_fields(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = SchemaForm(SCHEMA)
    qtbot.addWidget(form)
    caller = form.fields["caller"].editor
    assert isinstance(caller, QComboBox)
    assert [caller.itemText(i) for i in range(caller.count())] == ["gatk", "deepvariant"]
    assert isinstance(form.fields["joint"].editor, QCheckBox)
    assert form.values() == {"caller": "gatk", "joint": True}
    assert form.is_valid
    form.set_values({"caller": "deepvariant", "joint": False, "label": "run 1", "other": 1})
    assert form.values() == {"caller": "deepvariant", "joint": False, "label": "run 1"}


def test_live_validation_message_appears_and_disappears(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = SchemaForm(load_template("wgs").schema)
    qtbot.addWidget(form)
    validity: list[bool] = []
    form.validity_changed.connect(validity.append)
    form.fields["reads_1"].set_value("/data/r1.fq.gz")
    sample = form.fields["sample_id"].editor
    assert isinstance(sample, QLineEdit)
    sample.setText("NA 12878")
    message = visible_error(form, "sample_id")
    assert message.startswith("Not in the expected form.") and "letters, digits" in message
    sample.setText("NA12878")
    assert visible_error(form, "sample_id") == ""
    assert form.is_valid and validity == [True]
    sample.clear()
    assert visible_error(form, "sample_id") == "Required."
    assert validity == [True, False]


def test_imputation_form_offers_the_servers_choices(qtbot, loop, store: Store) -> None:  # type: ignore[no-untyped-def]
    executor = ThreadPoolExecutor(1)
    form = ImputationForm(StoreAccess(lambda: store, executor), TaskRunner())
    qtbot.addWidget(form)
    assert not form.panel.isEnabled() and not form.aes.isEnabled()
    form.set_app(parse_app(app_response()), "MIS")
    assert form.panel.isEnabled() and form.aes.isEnabled() and form.meta.isEnabled()
    assert [form.panel.itemData(i) for i in range(form.panel.count())] == [
        "1000g-phase3-deep",
        "hapmap-2",
    ]
    assert form.build.currentData() == "hg19"  # the server's default
    assert form.phasing.currentData() == "eagle"
    assert [form.r2_filter.itemData(i) for i in range(form.r2_filter.count())][:2] == ["0", "0.001"]
    assert [form.mode.itemData(i) for i in range(form.mode.count())] == ["imputation", "qc_only"]

    def populations() -> list[str]:
        return [form.population.itemData(i) for i in range(form.population.count())]

    # Populations follow the panel.
    form.panel.setCurrentIndex(form.panel.findData("hapmap-2"))
    assert populations() == ["eur", "afr", "asn", "mixed", "off"]
    form.panel.setCurrentIndex(form.panel.findData("1000g-phase3-deep"))
    assert populations() == ["afr", "amr", "eas", "eur", "sas", "off"]

    form.set_params({"refpanel": "hapmap-2", "population": "mixed", "build": "hg38", "aes": True})
    assert form.params() == {
        "refpanel": "hapmap-2",
        "population": "mixed",
        "build": "hg38",
        "phasing": "eagle",
        "r2_filter": "0",
        "mode": "imputation",
        "aes": True,
    }
    form.set_unavailable("No token is saved for MIS.")
    assert form.status.text() == "No token is saved for MIS."
    # Build and phasing stay usable for "Check files", keeping what was chosen.
    assert not form.panel.isEnabled() and form.params() == {"build": "hg38", "phasing": "eagle"}
    executor.shutdown()
