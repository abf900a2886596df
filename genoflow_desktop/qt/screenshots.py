"""Render every main view to PNG with demo data: ``python -m genoflow_desktop.qt.screenshots DIR``.

Uses Qt's offscreen platform unless a display is chosen, so it runs on machines without a screen.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio  # noqa: E402

import qasync  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402

from genoflow_desktop.core import paths  # noqa: E402
from genoflow_desktop.core import settings as core_settings  # noqa: E402
from genoflow_desktop.core.store import demo, open_store  # noqa: E402
from genoflow_desktop.qt.app import GenoflowApp, create_application  # noqa: E402
from genoflow_desktop.qt.style import apply_theme  # noqa: E402

SIZE = (1180, 760)


def _settle(app: object, milliseconds: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def render(output: Path, theme: str = "light") -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    app = create_application()
    apply_theme(app, theme)
    event_loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(event_loop)
    base = Path(tempfile.mkdtemp(prefix="genoflow-screens-"))
    dirs = paths.resolve_dirs(base)
    dirs.ensure()
    store = open_store(dirs.database)
    with store.session() as session:
        demo.seed(session, datetime.now(UTC))
    genoflow = GenoflowApp(app, dirs, core_settings.Settings(validation_workers=1), store_opener=lambda: store)
    window = genoflow.window
    window.resize(*SIZE)
    window.show()
    sample_dir = base / "run42"
    sample_dir.mkdir()
    for name, size in (("NA12878_R1.fastq.gz", 7_400_000), ("NA12878_R2.fastq.gz", 7_600_000),
                       ("cohort.chr20.vcf.gz", 2_100_000)):
        (sample_dir / name).write_bytes(b"\0" * size)
    genoflow.window.files_dropped.emit([str(sample_dir)])
    written = []
    for key in window.views:
        window.show_view(key)
        _settle(app)
        target = output / f"{key}.png"
        window.grab().save(str(target))
        written.append(target)
    window.close()
    return written


def main() -> int:
    output = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    for path in render(output):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
