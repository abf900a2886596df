"""The main window, built by the real composition root on a real store."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from genoflow_desktop.core.domain import JobKind, JobState
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.store.models import Job, Notification
from genoflow_desktop.qt.main_window import MainWindow
from genoflow_desktop.qt.window_state import WindowState
from tests.qt.conftest import wait_idle

VIEW_TITLES = ["Dashboard", "Upload", "Pipelines", "Results", "Settings"]


def test_every_view_can_be_visited(qtbot, loop, genoflow_app) -> None:  # type: ignore[no-untyped-def]
    window = genoflow_app.window
    qtbot.addWidget(window)
    window.show()
    assert [
        window.navigation.item(i).text() for i in range(window.navigation.count())
    ] == VIEW_TITLES
    for row, title in enumerate(VIEW_TITLES):
        window.navigation.setCurrentRow(row)
        wait_idle(qtbot, genoflow_app.runner)
        assert window.stack.currentWidget().title == title
        assert window.stack.currentWidget().isVisible()


def test_view_shortcuts_and_menus(qtbot, genoflow_app) -> None:  # type: ignore[no-untyped-def]
    window = genoflow_app.window
    qtbot.addWidget(window)
    menus = [action.text().replace("&", "") for action in window.menuBar().actions()]
    assert menus == ["File", "View", "Help"]
    assert window.add_files_action.shortcut().toString() == "Ctrl+O"
    window.view_actions["results"].trigger()
    assert window.current_view_key == "results"
    assert window.view_actions["settings"].shortcut().toString() == "Ctrl+5"


def test_dashboard_counts_come_from_the_store(qtbot, loop, genoflow_app, store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session:
        session.add_all(
            [
                Job(name="a", kind=JobKind.IMPUTATION, state=JobState.RUNNING),
                Job(name="b", kind=JobKind.IMPUTATION, state=JobState.QUEUED),
                Job(name="c", kind=JobKind.WORKFLOW, state=JobState.FAILED),
                Notification(level="info", title="done"),
            ]
        )
    window = genoflow_app.window
    qtbot.addWidget(window)
    window.show_view("results")
    window.show_view("dashboard")
    wait_idle(qtbot, genoflow_app.runner)
    cards = genoflow_app.views["dashboard"].cards
    assert cards["active_jobs"].value.text() == "2"
    assert cards["failed_jobs"].value.text() == "1"
    assert cards["unread_notifications"].value.text() == "1"


def test_results_lists_the_jobs_in_the_store(qtbot, loop, genoflow_app, store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session:
        session.add_all(
            [
                Job(name=f"job {i}", kind=JobKind.IMPUTATION, state=JobState.COMPLETED)
                for i in range(25)
            ]
        )
    window = genoflow_app.window
    qtbot.addWidget(window)
    window.show_view("results")
    wait_idle(qtbot, genoflow_app.runner)
    results = genoflow_app.views["results"].panel
    assert results.model.rowCount() == 25
    assert results.stack.currentWidget() is results.splitter
    results.search.setText("job 1")  # applied after a short pause in typing
    qtbot.waitUntil(lambda: results.model.rowCount() == 11)  # job 1, job 10..19


def test_dropped_files_and_folders_land_in_upload(qtbot, genoflow_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "run1"
    folder.mkdir()
    (folder / "a_R1.fastq.gz").write_bytes(b"x")
    (folder / "a_R2.fastq.gz").write_bytes(b"y")
    single = tmp_path / "calls.vcf.gz"
    single.write_bytes(b"z")
    window = genoflow_app.window
    qtbot.addWidget(window)
    window.show()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder)), QUrl.fromLocalFile(str(single))])
    event = QDropEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    upload = genoflow_app.views["upload"]
    assert window.current_view_key == "upload"
    # Folders are scanned off the GUI thread: the rows arrive a moment later.
    qtbot.waitUntil(lambda: upload.model.rowCount() == 3, timeout=10_000)
    names = sorted(row.name for row in upload.model.rows)
    assert names == ["a_R1.fastq.gz", "a_R2.fastq.gz", "calls.vcf.gz"]
    window.files_dropped.emit([str(single)])  # the same file again is not added twice
    qtbot.wait(300)
    assert upload.model.rowCount() == 3


def test_geometry_and_view_are_remembered(qtbot, app_dirs: AppDirs) -> None:  # type: ignore[no-untyped-def]
    from genoflow_desktop.qt.views.base import View

    class First(View):
        title, subtitle, icon_name = "First", "", "upload"

    class Second(View):
        title, subtitle, icon_name = "Second", "", "pipelines"

    def make() -> MainWindow:
        window = MainWindow(
            {"upload": First(), "pipelines": Second()},
            WindowState(app_dirs.config),
            app_dirs.logs,
        )
        qtbot.addWidget(window)
        return window

    first = make()
    first.show()
    first.resize(700, 500)
    first.show_view("pipelines")
    first.close()
    second = make()
    second.show()
    assert second.current_view_key == "pipelines"
    assert (second.width(), second.height()) == (700, 500)
    assert (app_dirs.config / "window-state.ini").exists()


def test_about_dialog_names_qt_pysam_and_htslib(qtbot) -> None:  # type: ignore[no-untyped-def]
    from genoflow_desktop.qt.dialogs.about_dialog import AboutDialog

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    for component in ("Qt", "PySide6", "pysam", "htslib", "GenoFlow"):
        assert dialog.versions[component]
    import pysam.version

    assert dialog.versions["htslib"] == pysam.version.__htslib_version__


def test_settings_view_saves_to_the_settings_file(qtbot, genoflow_app, app_dirs: AppDirs) -> None:  # type: ignore[no-untyped-def]
    from genoflow_desktop.core import settings as core_settings

    view = genoflow_app.views["settings"]
    qtbot.addWidget(view)
    view.editors["upload_concurrency"].setValue(9)
    view.editors["theme"].setCurrentIndex(view.editors["theme"].findData("dark"))
    with qtbot.waitSignal(view.settings_saved):
        view.save_button.click()
    saved, warnings = core_settings.load(app_dirs.settings_file)
    assert saved.upload_concurrency == 9 and saved.theme == "dark" and warnings == []
    assert QApplication.palette().window().color().name() == "#1f2328"  # the dark theme applied


def test_dropped_files_are_checked_and_reported(
    qtbot, genoflow_app, store, app_dirs: AppDirs
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import CORPUS

    good = CORPUS / "bam" / "generated__ce1000.bam"
    bad = CORPUS / "bam" / "generated__ce1000_bad_block_crc.bam"
    upload = genoflow_app.views["upload"]
    checked: list[str] = []
    genoflow_app.validation.file_checked.connect(lambda path, report, html: checked.append(path))
    genoflow_app.window.files_dropped.emit([str(good), str(bad)])
    qtbot.waitUntil(lambda: len(checked) == 2, timeout=30_000)
    good_row, bad_row = (
        upload.model.find(str(good.resolve())),
        upload.model.find(str(bad.resolve())),
    )
    assert good_row.check == "Valid"
    assert bad_row.check.startswith("Invalid: ")
    assert good_row.format == "BAM"
    report_file = Path(bad_row.report_file)
    assert report_file.is_file() and report_file.is_relative_to(app_dirs.cache)
    from genoflow_desktop.core.store.models import ValidationResult

    with store.session() as session:
        assert sorted(r.verdict for r in session.query(ValidationResult)) == ["invalid", "valid"]


def test_messages_from_a_worker_thread_reach_the_status_bar(qtbot, genoflow_app) -> None:  # type: ignore[no-untyped-def]
    import threading

    thread = threading.Thread(
        target=lambda: genoflow_app.messages.info("Upload finished: reads.fastq.gz")
    )
    thread.start()
    thread.join()
    status = genoflow_app.window.statusBar()
    qtbot.waitUntil(lambda: status.currentMessage() == "Upload finished: reads.fastq.gz")
