"""Live charts on the Dashboard: upload throughput, and the app's own CPU and memory.

Small line charts painted with QPainter: a few dozen points every two seconds need no plotting
library, and pyqtgraph plots updated this way crashed the interpreter at exit with PySide6 6.12
(a reference-counting error during the final garbage collection). Samples are cheap: a sum from
the store, and two psutil calls.
"""

from __future__ import annotations

from collections import deque

import psutil
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

#: Samples kept on screen (at one per 2 s: the last four minutes).
HISTORY = 120


class Sparkline(QWidget):
    """A titled line chart of the last :data:`HISTORY` values, scaled to its own maximum."""

    def __init__(self, title: str, unit: str, color: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.unit = unit
        self.color = QColor(color)
        self.values: deque[float] = deque(maxlen=HISTORY)
        self.setMinimumHeight(60)
        self.setAccessibleName(title)

    def add(self, value: float) -> None:
        self.values.append(value)
        self.setAccessibleDescription(f"{value:.1f} {self.unit}")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        latest = f"{self.values[-1]:.1f} {self.unit}" if self.values else "–"
        painter.setPen(palette.windowText().color())
        painter.drawText(
            QRectF(4, 2, self.width() - 8, 18),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self.title,
        )
        painter.drawText(
            QRectF(4, 2, self.width() - 8, 18),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            latest,
        )
        area = QRectF(4, 22, self.width() - 8, self.height() - 26)
        painter.setPen(QPen(palette.mid().color(), 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        if len(self.values) < 2:
            return
        top = max(max(self.values), 1e-9) * 1.15
        step = area.width() / (HISTORY - 1)
        start = area.right() - step * (len(self.values) - 1)
        path = QPainterPath()
        for index, value in enumerate(self.values):
            point = QPointF(start + index * step, area.bottom() - area.height() * value / top)
            if index == 0:
                path.moveTo(point)
            else:
                path.lineTo(point)
        painter.setPen(QPen(self.color, 2))
        painter.drawPath(path)


class LiveCharts(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._process = psutil.Process()
        self._process.cpu_percent()  # the first call only starts the measurement
        self.throughput = Sparkline("Upload throughput", "MB/s", "#2f80ed")
        self.cpu = Sparkline("GenoFlow CPU", "%", "#27ae60")
        self.memory = Sparkline("GenoFlow memory", "MB", "#eb5757")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for chart in (self.throughput, self.cpu, self.memory):
            layout.addWidget(chart)

    def add_sample(self, throughput_bps: float) -> None:
        self.throughput.add(throughput_bps / 1e6)
        self.cpu.add(self._process.cpu_percent())
        self.memory.add(self._process.memory_info().rss / 1e6)
