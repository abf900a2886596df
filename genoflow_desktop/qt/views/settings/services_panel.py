"""Services and credentials in Settings: add a server, save a token, test the connection.

Tokens are typed into a password field and go straight to the keychain (on the db thread, with
the store's credential metadata); the field is cleared at once. "Test connection" asks the
service itself: reachable, latency, and whether it takes the token (with days to expiry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from genoflow_desktop.core.services.catalog import ServiceView
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner


def _token_text(view: ServiceView) -> str:
    if not view.has_token:
        return "No token"
    left = view.token_days_left
    if left is None:
        return "Token saved"
    if left < 0:
        return "Token expired"
    return f"Token: {left} days left" + (" — renew soon" if view.token_expiring else "")


class ServicesPanel(QGroupBox):
    """Signals:
    credentials_changed(str): a token of this service was saved or removed.
    check_connectivity_requested(): "Check now" next to an offline service's reason.
    """

    credentials_changed = Signal(str)
    check_connectivity_requested = Signal()

    def __init__(
        self, store: StoreAccess, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__("Services and tokens", parent)
        self._store = store
        self._runner = runner
        #: Services that cannot be reached now (name → reason), from the connectivity monitor.
        self._offline: dict[str, str] = {}
        layout = QVBoxLayout(self)

        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Service", "Type", "Address", "Token"])
        self.table.setRootIsDecorated(False)
        self.table.setAccessibleName("Services")
        self.table.setMinimumHeight(140)  # the built-in servers and a few of the user's own
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        layout.addWidget(self.table)

        token_row = QHBoxLayout()
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("Paste the API token of the selected service")
        self.token_edit.setAccessibleName("API token")
        self.save_token_button = QPushButton("Save token")
        self.test_button = QPushButton("Test connection")
        self.remove_token_button = QPushButton("Remove token")
        for widget in (self.save_token_button, self.test_button, self.remove_token_button):
            widget.setEnabled(False)
        self.save_token_button.clicked.connect(self._on_save_token_clicked)
        self.test_button.clicked.connect(self._on_test_clicked)
        self.remove_token_button.clicked.connect(self._on_remove_token_clicked)
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.save_token_button)
        token_row.addWidget(self.test_button)
        token_row.addWidget(self.remove_token_button)
        layout.addLayout(token_row)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Service status")
        self.check_now_button = QPushButton("Check now")
        self.check_now_button.setToolTip("Try to reach the service again now.")
        self.check_now_button.clicked.connect(self.check_connectivity_requested)
        self.check_now_button.hide()
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.check_now_button)
        layout.addLayout(status_row)

        add_form = QFormLayout()
        self.new_name = QLineEdit()
        self.new_name.setAccessibleName("New service name")
        self.new_kind = QComboBox()
        self.new_kind.addItem("GA4GH WES server", "wes")
        self.new_kind.addItem("Cloudgene imputation server", "cloudgene")
        self.new_url = QLineEdit()
        self.new_url.setPlaceholderText("https://wes.example.org/ga4gh/wes/v1")
        self.new_url.setAccessibleName("New service address")
        self.add_button = QPushButton("Add service")
        self.add_button.clicked.connect(self._on_add_clicked)
        row = QHBoxLayout()
        row.addWidget(self.new_name, 1)
        row.addWidget(self.new_kind)
        row.addWidget(self.new_url, 2)
        row.addWidget(self.add_button)
        add_form.addRow("Add a server", row)
        layout.addLayout(add_form)
        self.refresh()

    # -- helpers ---------------------------------------------------------------------------

    def selected(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].text(0) if items else None

    def refresh(self) -> None:
        from genoflow_desktop.core.services.catalog import list_services

        async def load() -> None:
            views = await self._store.run(list_services)
            current = self.selected()
            self.table.clear()
            for view in views:
                item = QTreeWidgetItem(
                    [view.name, view.kind.value, view.base_url, _token_text(view)]
                )
                item.setToolTip(0, view.description)
                self.table.addTopLevelItem(item)
                if view.name == current:
                    item.setSelected(True)
            for column in range(3):
                self.table.resizeColumnToContents(column)

        self._runner.start("services.refresh", load())

    def _show(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("role", "error" if error else "")
        self.status.style().polish(self.status)

    def _run_store(self, name: str, work: Any, done: str, service: str | None = None) -> None:
        async def task() -> None:
            try:
                await self._store.run(work)
            except UserError as error:
                self._show(f"{error.message} {error.hint}".strip(), error=True)
                return
            self._show(done)
            if service is not None:
                self.credentials_changed.emit(service)
            self.refresh()

        self._runner.start(name, task())

    # -- actions ---------------------------------------------------------------------------

    @Slot()
    def _on_selection_changed(self) -> None:
        service = self.selected()
        for widget in (self.save_token_button, self.test_button, self.remove_token_button):
            widget.setEnabled(service is not None)
        # Testing an unreachable service only waits for a time-out; the monitor keeps probing
        # it and enables the button when it answers.
        reason = self._offline.get(service or "", "")
        self.test_button.setEnabled(service is not None and not reason)
        self.test_button.setToolTip(reason)
        self.check_now_button.setVisible(bool(reason))
        if reason:
            self._show(reason, error=True)
        elif self.status.text().startswith("Offline: "):
            self._show("")  # another service was chosen, or this one answers again

    @Slot(str, bool, str)
    def on_connectivity_changed(self, name: str, online: bool, reason: str) -> None:
        """Connect to ``ConnectivityMonitor.changed``."""
        self._offline.pop(name, None)
        if not online:
            self._offline[name] = reason
        if name == self.selected():
            self._on_selection_changed()

    @Slot()
    def _on_save_token_clicked(self) -> None:
        from genoflow_desktop.core.services import credentials

        service = self.selected()
        token = self.token_edit.text().strip()
        # The field is cleared at once: the token lives on only in the keychain.
        self.token_edit.clear()
        if service is None or not token:
            self._show("Select a service and paste its token first.", error=True)
            return

        def save(session: Session) -> None:
            credentials.set_token(session, service, token)

        self._run_store("services.save-token", save, f"Token saved for {service}.", service)

    @Slot()
    def _on_remove_token_clicked(self) -> None:
        from genoflow_desktop.core.services import credentials

        service = self.selected()
        if service is None:
            return

        def remove(session: Session) -> None:
            credentials.delete_token(session, service)

        self._run_store("services.remove-token", remove, f"Token removed for {service}.", service)

    @Slot()
    def _on_add_clicked(self) -> None:
        from genoflow_desktop.core.services.catalog import add_service

        name, kind, url = self.new_name.text(), self.new_kind.currentData(), self.new_url.text()

        def add(session: Session) -> None:
            add_service(session, name, kind, url)

        self._run_store("services.add", add, f"Added {name.strip()}.")
        self.new_name.clear()
        self.new_url.clear()

    @Slot()
    def _on_test_clicked(self) -> None:
        service = self.selected()
        if service is not None:
            self._show(f"Testing {service}…")
            self._runner.start("services.test", self.test_connection(service))

    async def test_connection(self, service: str) -> str:
        """Probe the service, then check the token; show and return the outcome in words."""
        from genoflow_desktop.core.services import credentials
        from genoflow_desktop.core.services.backends import ServiceRef, make_backend, service_ref
        from genoflow_desktop.core.services.catalog import check_health

        def read(session: Session) -> tuple[ServiceRef, str | None]:
            return service_ref(session, service), credentials.get_token(session, service)

        try:
            ref, token = await self._store.run(read)
        except UserError as error:
            self._show(f"{error.message} {error.hint}".strip(), error=True)
            return self.status.text()
        backend = make_backend(ref, token)
        try:
            health = await check_health(service, backend)
            if not health.api_ok:
                self._show(f"{service}: {health.error}", error=True)
                return self.status.text()
            reach = f"{service} answers in {health.latency_ms:.0f} ms ({health.description})."
            if token is None:
                self._show(f"{reach} No token is saved yet.", error=ref.kind.value == "cloudgene")
                return self.status.text()
            try:
                check = await backend.check_credentials()
            except UserError as error:
                self._show(f"{reach} {error.message}", error=True)
                return self.status.text()
        finally:
            await backend.aclose()
        if not check.valid:
            self._show(f"{reach} The token was refused: {check.message}", error=True)
            return self.status.text()

        def record(session: Session) -> None:
            credentials.record_verification(
                session, service, username=check.username, expires_at=check.expires_at
            )

        await self._store.run(record)
        left = credentials.days_left(check.expires_at)
        expiry = "" if left is None else f" It expires in {left} days."
        who = f" for {check.username}" if check.username else ""
        self._show(f"{reach} The token is valid{who}.{expiry}")
        self.refresh()
        return self.status.text()
