"""The imputation job form: choices discovered from the chosen Cloudgene server.

Reference panels, their populations, builds, phasing engines, r² filters, modes and the AES and
meta options are whatever the server's imputation app offers (``GET /api/v2/server/apps/{id}``,
asked on the GUI loop, the token read on the db thread). Populations follow the chosen panel.
Without a token, or with the server out of reach, the server's choices stay disabled and the
reason is shown; build and phasing keep the standard values so "Check files" still works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from genoflow_desktop.core.services.backends import ServiceRef
    from genoflow_desktop.core.services.cloudgene.models import Choice, ImputationApp
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

#: Offered for "Check files" while the server's own lists are unknown (the pre-flight's values).
OFFLINE_BUILDS = ("hg19", "hg38")
OFFLINE_PHASING = ("eagle", "beagle", "no_phasing")


def _fill(combo: QComboBox, choices: Sequence[tuple[str, str]], default: str | None) -> None:
    """Replace the items with (value, label) pairs, keeping the current value if still offered."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for value, label in choices:
        combo.addItem(label if label and label != value else value, value)
        combo.setItemData(combo.count() - 1, value, Qt.ItemDataRole.ToolTipRole)
    for wanted in (current, default):
        index = combo.findData(wanted)
        if wanted is not None and index >= 0:
            combo.setCurrentIndex(index)
            break
    combo.blockSignals(False)
    combo.currentIndexChanged.emit(combo.currentIndex())


def _pairs(choices: Sequence[Choice]) -> list[tuple[str, str]]:
    return [(c.value, c.label) for c in choices]


class ImputationForm(QWidget):
    """Signals:
    changed(): a value or the input files changed.
    app_changed(bool): the server's choices were loaded (True) or are unavailable (False).
    """

    changed = Signal()
    app_changed = Signal(bool)

    def __init__(
        self, store: StoreAccess, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self.app: ImputationApp | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Imputation server status")
        layout.addWidget(self.status)

        form = QFormLayout()
        self.panel = QComboBox()
        self.population = QComboBox()
        self.build = QComboBox()
        self.phasing = QComboBox()
        self.r2_filter = QComboBox()
        self.mode = QComboBox()
        rows = (
            ("Reference panel *", self.panel),
            ("Population", self.population),
            ("Genome build of the files *", self.build),
            ("Phasing", self.phasing),
            ("r² filter", self.r2_filter),
            ("Mode", self.mode),
        )
        for label, combo in rows:
            combo.setAccessibleName(label.rstrip(" *"))
            combo.currentIndexChanged.connect(self.changed)
            form.addRow(label, combo)
        self.panel.currentIndexChanged.connect(self._on_panel_changed)
        self.aes = QCheckBox("Encrypt the results with AES-256 (instead of ZipCrypto)")
        self.meta = QCheckBox("Also write empirical dosages (for meta-imputation)")
        for box in (self.aes, self.meta):
            box.setAccessibleName(box.text())
            box.toggled.connect(self.changed)
            form.addRow("", box)
        layout.addLayout(form)

        self.file_list = QListWidget()
        self.file_list.setAccessibleName("Input VCF files")
        self.file_list.setMaximumHeight(120)
        self.add_files_button = QPushButton("Add VCF files…")
        self.remove_file_button = QPushButton("Remove")
        self.add_files_button.clicked.connect(self._on_add_files_clicked)
        self.remove_file_button.clicked.connect(self._on_remove_file_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.remove_file_button)
        buttons.addStretch(1)
        layout.addWidget(QLabel("Input files (*.vcf.gz, one chromosome per file) *"))
        layout.addWidget(self.file_list)
        layout.addLayout(buttons)
        self.set_unavailable("Choose an imputation server.")

    # -- the server's choices --------------------------------------------------------------

    def discover(self, service: str) -> None:
        """Ask ``service`` for its imputation app (replaces an earlier discovery)."""
        self.set_unavailable(f"Asking {service} for its reference panels…")
        self._runner.start("pipelines.imputation.discover", self._discover(service))

    async def _discover(self, service: str) -> None:
        from genoflow_desktop.core.services import credentials
        from genoflow_desktop.core.services.backends import service_ref
        from genoflow_desktop.core.services.cloudgene.backend import CloudgeneBackend

        def read(session: Session) -> tuple[ServiceRef, str | None]:
            return service_ref(session, service), credentials.get_token(session, service)

        try:
            ref, token = await self._store.run(read)
        except UserError as error:
            self.set_unavailable(f"{error.message} {error.hint}".strip())
            return
        if token is None:
            self.set_unavailable(
                f"No token is saved for {service}: add your API token in Settings > Services "
                "to see its reference panels and submit jobs."
            )
            return
        backend = CloudgeneBackend(name=ref.name, base_url=ref.base_url, token=token)
        try:
            app = await backend.imputation_app()
        except UserError as error:
            self.set_unavailable(f"{error.message} {error.hint}".strip())
            return
        finally:
            await backend.aclose()
        self.set_app(app, service)

    def set_app(self, app: ImputationApp, service: str = "") -> None:
        """Offer ``app``'s choices (the server's defaults preselected)."""
        self.app = app
        defaults = app.defaults
        _fill(self.panel, [(p.id, p.name) for p in app.panels], None)
        _fill(self.build, _pairs(app.builds), defaults.get("build"))
        _fill(self.phasing, _pairs(app.phasing), defaults.get("phasing"))
        _fill(self.r2_filter, _pairs(app.r2_filters), defaults.get("r2Filter"))
        _fill(self.mode, _pairs(app.modes), defaults.get("mode"))
        for combo in (self.panel, self.population, self.r2_filter, self.mode):
            combo.setEnabled(True)
        self.aes.setEnabled(app.has_aes)
        self.meta.setEnabled(app.has_meta)
        where = f" on {service}" if service else ""
        self.status.setText(f"{app.name} {app.version}{where}: {len(app.panels)} reference panels.")
        self.status.setProperty("role", "")
        self.status.style().polish(self.status)
        self.app_changed.emit(True)

    def set_unavailable(self, reason: str) -> None:
        self.app = None
        for combo in (self.panel, self.population, self.r2_filter, self.mode):
            combo.clear()
            combo.setEnabled(False)
        for box in (self.aes, self.meta):
            box.setChecked(False)
            box.setEnabled(False)
        _fill(self.build, [(b, b) for b in OFFLINE_BUILDS], None)
        _fill(self.phasing, [(p, p) for p in OFFLINE_PHASING], None)
        self.status.setText(reason)
        self.status.setProperty("role", "error")
        self.status.style().polish(self.status)
        self.app_changed.emit(False)

    @Slot()
    def _on_panel_changed(self) -> None:
        panel = self.app.panel(self.panel.currentData() or "") if self.app else None
        populations = _pairs(panel.populations) if panel else []
        _fill(self.population, populations, None)
        self.population.setEnabled(bool(populations))

    # -- values ----------------------------------------------------------------------------

    def params(self) -> dict[str, Any]:
        """The job's params in the Cloudgene backend's keys (see cloudgene/params.py)."""
        params: dict[str, Any] = {}
        for key, combo in (
            ("refpanel", self.panel),
            ("population", self.population),
            ("build", self.build),
            ("phasing", self.phasing),
            ("r2_filter", self.r2_filter),
            ("mode", self.mode),
        ):
            if combo.currentData() is not None:
                params[key] = combo.currentData()
        # Only switched-on options are sent: Cloudgene turns a checkbox on whenever it is sent.
        params.update(
            {key: True for key, box in (("aes", self.aes), ("meta", self.meta)) if box.isChecked()}
        )
        return params

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Choose the preset's values where the server offers them (panel first: it decides
        the populations)."""
        for key, combo in (
            ("refpanel", self.panel),
            ("population", self.population),
            ("build", self.build),
            ("phasing", self.phasing),
            ("r2_filter", self.r2_filter),
            ("mode", self.mode),
        ):
            index = combo.findData(params.get(key))
            if index >= 0:
                combo.setCurrentIndex(index)
        self.aes.setChecked(bool(params.get("aes")) and self.aes.isEnabled())
        self.meta.setChecked(bool(params.get("meta")) and self.meta.isEnabled())

    def files(self) -> list[str]:
        return [self.file_list.item(row).text() for row in range(self.file_list.count())]

    def add_files(self, paths: Sequence[str]) -> None:
        known = set(self.files())
        self.file_list.addItems([p for p in paths if p not in known])
        self.changed.emit()

    def replace_file(self, old: str, new: Sequence[str]) -> None:
        """Put a fix's output(s) where the original file was in the list."""
        paths = self.files()
        at = paths.index(old) if old in paths else len(paths)
        paths[at : at + 1] = [p for p in new if p not in paths]
        self.file_list.clear()
        self.file_list.addItems(paths)
        self.changed.emit()

    @Slot()
    def _on_add_files_clicked(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Add VCF files", "", "VCF files (*.vcf.gz *.vcf *.bcf);;All files (*)"
        )
        self.add_files([str(Path(n)) for n in names])

    @Slot()
    def _on_remove_file_clicked(self) -> None:
        for item in self.file_list.selectedItems():
            self.file_list.takeItem(self.file_list.row(item))
        self.changed.emit()
