"""Start-up to first paint: `genoflow --smoke` against a bare PySide6 + pyqtgraph window.

Both are timed from the moment this script starts the process to the first paint event of the
main window, headless (offscreen platform), several runs each; the table gives medians and the
ratio. The child prints the wall-clock time of its first paint; the clock is the same, so the
difference includes everything the user waits for: exec, the interpreter, imports, the window.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 7

BARE_WINDOW = r"""
import time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph
app = QApplication([])
window = QMainWindow()
window.setCentralWidget(pyqtgraph.PlotWidget())
class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "done"):
            self.done = True
            print(f"first paint at {time.time():.6f}")
            QTimer.singleShot(0, app.quit)
        return False
watch = Watch()
app.installEventFilter(watch)  # the first paint of any widget: the central one covers the window
window.show()
app.exec()
"""

PAINT = re.compile(r"first paint at ([0-9.]+)")


def measure(command: list[str]) -> list[float]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    times = []
    for _ in range(RUNS):
        launched = time.time()
        output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
        match = PAINT.search(output)
        if match is None:
            raise RuntimeError(f"no paint time in output of {command}: {output!r}")
        times.append((float(match.group(1)) - launched) * 1000)
    return times


def main() -> int:
    with tempfile.TemporaryDirectory() as basedir:
        ours = measure([sys.executable, "-m", "genoflow_desktop", "--smoke", "--basedir", basedir])
    bare = measure([sys.executable, "-c", BARE_WINDOW])
    ours_median, bare_median = statistics.median(ours), statistics.median(bare)
    print(f"| start-up to first paint ({RUNS} runs) | median ms | min ms | max ms |")
    print("|---|---|---|---|")
    print(f"| genoflow --smoke | {ours_median:.0f} | {min(ours):.0f} | {max(ours):.0f} |")
    print(
        f"| bare PySide6 + pyqtgraph window | {bare_median:.0f} | {min(bare):.0f} | {max(bare):.0f} |"
    )
    print(f"\nratio genoflow / bare window: {ours_median / bare_median:.2f}; target: under 1000 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
