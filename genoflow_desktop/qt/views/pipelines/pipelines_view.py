"""Pipelines: configure WGS/WES/targeted workflows and imputation jobs, keep presets, submit.

The workflow pipelines come from the templates in ``resources/pipelines/`` (their forms are
generated from each template's parameter schema) and go to GA4GH WES services; imputation goes
to Cloudgene services, with its choices discovered from the chosen server. Submission hands the
job to the :class:`JobRunner` (the jobs thread validates, records and sends it); the job id, or
what went wrong and how to fix it, is shown under the Submit button.

Templates load when the view is first shown, on the disk pool (jsonschema, ~70 ms to import, is
imported there too), and services on the db thread: the view costs the app's start-up nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.views.pipelines.imputation_form import ImputationForm
from genoflow_desktop.qt.views.pipelines.preflight_panel import PreflightPanel
from genoflow_desktop.qt.views.pipelines.presets_bar import PresetsBar

if TYPE_CHECKING:
    from genoflow_desktop.core.pipelines.templates import PipelineTemplate
    from genoflow_desktop.core.services.catalog import ServiceView
    from genoflow_desktop.qt.views.pipelines.schema_form import SchemaForm
    from genoflow_desktop.qt.workers.executors import Executors
    from genoflow_desktop.qt.workers.job_runner import JobRunner
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

IMPUTATION = "imputation"


class PipelinesView(View):
    """Signals:
    show_job_requested(str): the user asks to see this job (id) in the Results view.
    check_connectivity_requested(): "Check now" next to an offline service (connect to
        ``ConnectivityMonitor.check_now``).
    """

    title = "Pipelines"
    subtitle = "Set up imputation jobs and sequencing workflows, and keep your settings as presets."
    icon_name = "pipelines"

    show_job_requested = Signal(str)
    check_connectivity_requested = Signal()

    def __init__(
        self,
        store: StoreAccess,
        runner: TaskRunner,
        jobs: JobRunner | None,
        executors: Executors,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._jobs = jobs
        self._executors = executors
        self.templates: dict[str, PipelineTemplate] = {}
        self.forms: dict[str, SchemaForm] = {}
        self._services: list[ServiceView] = []
        self.last_job_id: str | None = None
        #: Services that cannot be reached now (name → reason), from the connectivity monitor.
        self._offline: dict[str, str] = {}
        self._submitting = False

        picker = QFormLayout()
        self.pipeline_combo = QComboBox()
        self.service_combo = QComboBox()
        self.version_combo = QComboBox()
        self.job_name = QLineEdit()
        self.job_name.setPlaceholderText("For example: cohort 3, chromosome 20")
        for label, widget in (
            ("Pipeline", self.pipeline_combo),
            ("Service", self.service_combo),
            ("Version", self.version_combo),
            ("Job name *", self.job_name),
        ):
            widget.setAccessibleName(label.rstrip(" *"))
            picker.addRow(label, widget)
        self.description = QLabel()
        self.description.setWordWrap(True)
        picker.addRow("", self.description)
        self.body.addLayout(picker)

        self.presets = PresetsBar(store, runner, executors.disk, self._values)
        self.presets.preset_loaded.connect(self._on_presets_preset_loaded)
        self.presets.save_button.setShortcut("Ctrl+S")
        self.body.addWidget(self.presets)

        self.imputation = ImputationForm(store, runner)
        self.preflight = PreflightPanel(runner, executors.validation, self._preflight_choices)
        self.preflight.files_replaced.connect(self.imputation.replace_file)
        imputation_page = QWidget()
        column = QVBoxLayout(imputation_page)
        column.addWidget(self.imputation)
        column.addWidget(self.preflight)
        column.addStretch(1)
        self.stack = QStackedWidget()
        self.stack.addWidget(imputation_page)
        self._imputation_page = imputation_page
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.stack)
        self.body.addWidget(scroll, 1)

        bottom = QHBoxLayout()
        self.submit_button = QPushButton("Submit")
        self.submit_button.setShortcut("Ctrl+Return")
        self.submit_button.setToolTip("Validate the job and send it to the service (Ctrl+Return)")
        self.submit_button.setEnabled(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Submission status")
        self.show_job_button = QPushButton("Show in Results")
        self.show_job_button.setVisible(False)
        self.check_now_button = QPushButton("Check now")
        self.check_now_button.setToolTip("Try to reach the service again now.")
        self.check_now_button.clicked.connect(self.check_connectivity_requested)
        self.check_now_button.setVisible(False)
        bottom.addWidget(self.submit_button)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.check_now_button)
        bottom.addWidget(self.show_job_button)
        self.body.addLayout(bottom)

        self.pipeline_combo.currentIndexChanged.connect(self._on_pipeline_combo_changed)
        self.service_combo.currentIndexChanged.connect(self._on_service_combo_changed)
        self.submit_button.clicked.connect(self._on_submit_button_clicked)
        self.show_job_button.clicked.connect(self._on_show_job_button_clicked)

    # -- loading ---------------------------------------------------------------------------

    def on_shown(self) -> None:
        if not self.templates:
            if not self._runner.is_running("pipelines.load"):
                self._runner.start("pipelines.load", self._load())
        else:
            # Services and tokens may have been added in Settings meanwhile.
            self._runner.start("pipelines.services", self._load_services())

    async def _load(self) -> None:
        from genoflow_desktop.core.pipelines.templates import load_templates
        from genoflow_desktop.core.services.catalog import list_services

        pool = self._executors.disk
        loaded = await asyncio.get_running_loop().run_in_executor(pool, load_templates)
        # Imported after load_templates has imported jsonschema on the disk thread.
        from genoflow_desktop.qt.views.pipelines.schema_form import SchemaForm

        # Quiet while filling: the first choice is shown once the services are known too.
        self.pipeline_combo.blockSignals(True)
        for template in loaded:
            self.templates[template.id] = template
            self.forms[template.id] = SchemaForm(template.schema)
            self.stack.addWidget(self.forms[template.id])
            self.pipeline_combo.addItem(template.name, template.id)
        self.pipeline_combo.addItem("Imputation (Cloudgene server)", IMPUTATION)
        self.pipeline_combo.blockSignals(False)
        self._update_submit()
        self._services = await self._store.run(list_services)
        self._on_pipeline_combo_changed()

    async def _load_services(self) -> None:
        from genoflow_desktop.core.services.catalog import list_services

        self._services = await self._store.run(list_services)
        self._fill_services()

    # -- choices ---------------------------------------------------------------------------

    @property
    def pipeline(self) -> str:
        return str(self.pipeline_combo.currentData() or "")

    def _fill_services(self) -> None:
        from genoflow_desktop.core.domain import ServiceKind

        kind = ServiceKind.CLOUDGENE if self.pipeline == IMPUTATION else ServiceKind.WES
        current = self.service_combo.currentData()
        self.service_combo.blockSignals(True)
        self.service_combo.clear()
        for service in self._services:
            if service.kind is kind:
                suffix = "" if service.has_token or kind is ServiceKind.WES else " (no token)"
                self.service_combo.addItem(service.name + suffix, service.name)
        index = self.service_combo.findData(current)
        self.service_combo.setCurrentIndex(max(index, 0))
        self.service_combo.blockSignals(False)
        if self.service_combo.count() == 0:
            what = "imputation (Cloudgene)" if kind is ServiceKind.CLOUDGENE else "workflow (WES)"
            self._say(f"No {what} service is set up: add one in Settings > Services.", error=True)
        if index < 0 or (self.pipeline == IMPUTATION and self.imputation.app is None):
            self._on_service_combo_changed()
        else:
            self._update_submit()

    @Slot()
    def _on_pipeline_combo_changed(self) -> None:
        pipeline = self.pipeline
        template = self.templates.get(pipeline)
        self.version_combo.clear()
        if template is not None:
            self.stack.setCurrentWidget(self.forms[pipeline])
            self.version_combo.addItems([v.version for v in template.versions])
            self.description.setText(template.description)
            self.presets.set_pipeline(pipeline, template.schema)
        else:
            from genoflow_desktop.core.pipelines import imputation

            self.stack.setCurrentWidget(self._imputation_page)
            self.version_combo.addItem("as the server offers it")
            self.description.setText(
                "Genotype imputation on a Michigan-style server (Michigan Imputation Server 2, "
                "TOPMed, AfriGen-D). Check the files here first: the server's own checks come "
                "after the upload."
            )
            self.presets.set_pipeline(pipeline, imputation.SCHEMA)
        self.version_combo.setEnabled(self.version_combo.count() > 1)
        self._say("")
        self._fill_services()

    @Slot()
    def _on_service_combo_changed(self) -> None:
        service = self.service_combo.currentData()
        self._update_submit()
        if self.pipeline == IMPUTATION:
            if service in self._offline:
                # Asking would only time out; the monitor says when it answers again.
                self.imputation.set_unavailable(self._offline_reason())
            elif service:
                self.imputation.discover(service)
            else:
                self.imputation.set_unavailable("Add an imputation server in Settings > Services.")

    def _values(self) -> dict[str, Any]:
        """The current form's values, as presets keep them."""
        if self.pipeline == IMPUTATION:
            return self.imputation.params()
        return self.forms[self.pipeline].values()

    @Slot(dict)
    def _on_presets_preset_loaded(self, values: dict[str, Any]) -> None:
        if self.pipeline == IMPUTATION:
            self.imputation.set_params(values)
        else:
            self.forms[self.pipeline].set_values(values)

    def _preflight_choices(self) -> tuple[list[str], str, str]:
        params = self.imputation.params()
        return self.imputation.files(), params.get("build", ""), params.get("phasing", "")

    # -- offline -----------------------------------------------------------------------------

    @Slot(str, bool, str)
    def on_connectivity_changed(self, name: str, online: bool, reason: str) -> None:
        """Connect to ``ConnectivityMonitor.changed``: Submit needs the chosen service."""
        was_offline = name in self._offline
        if online:
            self._offline.pop(name, None)
        else:
            self._offline[name] = reason
        if name != self.service_combo.currentData():
            return
        if online and was_offline:
            self._on_service_combo_changed()  # its reference panels can be asked for again
        else:
            self._update_submit()

    def _offline_reason(self) -> str:
        from genoflow_desktop.core.connectivity import SUBMIT_LATER, offline_reason

        service = self.service_combo.currentData()
        return offline_reason(service, SUBMIT_LATER) if service in self._offline else ""

    def _update_submit(self) -> None:
        """Submit works once the templates are loaded, the service answers, and no submission
        is under way; an offline service's reason is shown where submissions report."""
        reason = self._offline_reason()
        self.submit_button.setEnabled(bool(self.templates) and not reason and not self._submitting)
        self.submit_button.setToolTip(
            reason or "Validate the job and send it to the service (Ctrl+Return)"
        )
        self.check_now_button.setVisible(bool(reason))
        if reason:
            self._say(reason, error=True)
        elif self.status.text().startswith("Offline: "):
            self._say("")  # another service was chosen, or this one answers again

    # -- submission ------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("role", "error" if error else "")
        self.status.style().polish(self.status)

    @Slot()
    def _on_submit_button_clicked(self) -> None:
        if self.submit_button.isEnabled():
            self._runner.start("pipelines.submit", self.submit())

    @Slot()
    def _on_show_job_button_clicked(self) -> None:
        if self.last_job_id is not None:
            self.show_job_requested.emit(self.last_job_id)

    async def submit(self) -> str | None:
        """Send the job as configured; returns its id, or None with the reason shown."""
        self.show_job_button.setVisible(False)
        service, name = self.service_combo.currentData(), self.job_name.text().strip()
        if self._jobs is None or not self._jobs.running:
            self._say("Jobs cannot be sent yet: the jobs engine is still starting.", error=True)
            return None
        if not service:
            self._say("Choose a service to send the job to.", error=True)
            return None
        if not name:
            self._say("Give the job a name, so you can find it in Results.", error=True)
            self.job_name.setFocus()
            return None
        self._submitting = True
        self._update_submit()
        try:
            if self.pipeline == IMPUTATION:
                params = self.imputation.params()
                files = [Path(p) for p in self.imputation.files()]
            else:
                template = self.templates[self.pipeline]
                values = self.forms[self.pipeline].values()
                submission = template.submission(values, self.version_combo.currentText())
                params, files = submission.params, submission.files
            self._say(f"Checking and sending the job to {service}…")
            future = self._jobs.submit_new(
                service=service, name=name, params=params, files=files, pipeline=self.pipeline
            )
            # Shielded: leaving the view or quitting must not cancel a submission half-way on
            # the jobs thread (the orchestrator finishes it, or resumes it after a restart).
            job_id = await asyncio.shield(asyncio.wrap_future(future))
        except UserError as error:
            self._say(f"{error.message} {error.hint}".strip(), error=True)
            return None
        finally:
            self._submitting = False
            self._update_submit()
        self.last_job_id = job_id
        self._say(f"Submitted to {service} as job {job_id}.")
        self.show_job_button.setVisible(True)
        return job_id
