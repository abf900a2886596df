"""Live charts on the Dashboard: upload throughput, and the app's own CPU and memory.

Three small pyqtgraph plots stacked in one graphics layout, sharing a time axis that reads
"… ago" and ends at "now". pyqtgraph is imported when the charts are built, after the first
paint (it takes ~0.3-0.8 s to import, which start-up must not pay); this module itself only
imports psutil. Samples are cheap: a sum from the store every couple of seconds (taken by the
view) and two psutil calls; a few hundred points redraw in well under a millisecond.

PySide6 6.12.0 crashed at exit with pyqtgraph plots (a reference-counting error in the final
garbage collection); pyproject.toml excludes that version.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psutil
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

if TYPE_CHECKING:
    import pyqtgraph

#: Seconds of history on screen, and samples kept (one every ~2 s fills the window).
WINDOW_S = 300.0
HISTORY = 160
#: A pause in sampling longer than this (the Dashboard was hidden) breaks the line.
GAP_S = 6.0
#: Height of the three plots together: beside the active jobs, without crowding the lists below.
CHARTS_HEIGHT = 270

Clock = Callable[[], float]


def ago_text(seconds_ago: float) -> str:
    """A time-axis label: "now", "45 s", "2 min", "1.5 min" (how long ago)."""
    seconds = abs(seconds_ago)
    if seconds < 0.5:
        return "now"
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes.is_integer() or minutes >= 10 else f"{minutes:.1f} min"


def value_text(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0f} %"
    return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"


def y_scale(top: float) -> tuple[float, list[float]]:
    """The y range's upper end (head room above ``top``) and two round ticks within it: a
    plot this small has room for two labels, not pyqtgraph's four or five."""
    upper = top * 1.25 if top > 0 else 1.0
    rough = upper / 2
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough * 0.7)
    return upper, [t for t in (step, 2 * step) if t <= upper]


@dataclass
class Series:
    """One chart's samples: (monotonic time, value in display units)."""

    title: str
    unit: str
    points: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=HISTORY))

    @property
    def values(self) -> list[float]:
        return [v for _, v in self.points if not math.isnan(v)]

    def add(self, at: float, value: float) -> None:
        if self.points and at - self.points[-1][0] > GAP_S:
            # connect="finite" leaves a hole at a NaN: no line across time we did not sample.
            self.points.append((self.points[-1][0] + GAP_S / 2, math.nan))
        self.points.append((at, value))

    def xy(self, now: float) -> tuple[list[float], list[float]]:
        """Seconds relative to ``now`` (negative: in the past), and the values."""
        xs = [t - now for t, _ in self.points]
        return xs, [v for _, v in self.points]


def theme_colors(palette: QPalette) -> dict[str, QColor]:
    """Chart colours from the window's palette, so the light and dark themes both read well."""
    base = palette.color(QPalette.ColorRole.Base)
    dark = base.lightnessF() < 0.5
    accent = palette.color(QPalette.ColorRole.Highlight)
    # The other two lines turn the accent's hue round the colour wheel (a purple and an
    # orange next to our teal), brighter on a dark background so they stand out on both.
    saturation, value = (140, 235) if dark else (170, 190)

    def turned(degrees: int) -> QColor:
        return QColor.fromHsv((accent.hsvHue() + degrees) % 360, saturation, value)

    return {
        "background": base,
        "text": palette.color(QPalette.ColorRole.PlaceholderText),
        "grid": palette.color(QPalette.ColorRole.Mid),
        "throughput": accent.lighter(150) if dark else accent,
        "cpu": turned(90),
        "memory": turned(190),
    }


def time_ticks(window_s: float = WINDOW_S) -> list[list[tuple[float, str]]]:
    """The time axis' ticks: labelled every two minutes up to "now", a line every minute.

    Fixed ticks, since the axis always shows the same window: pyqtgraph's own choice gives
    "-300" style numbers, and it drops the edge labels (so no "now") on a narrow plot.
    """
    labelled = [(-float(s), ago_text(s)) for s in range(0, int(window_s), 120)]
    minor = [(-float(s), "") for s in range(60, int(window_s) + 1, 120)]
    return [sorted(labelled), sorted(minor)]


class LiveCharts(QWidget):
    """Throughput, CPU and memory over the last :data:`WINDOW_S` seconds.

    Attributes ``throughput``, ``cpu`` and ``memory`` are the :class:`Series` shown.
    """

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = time.monotonic) -> None:
        super().__init__(parent)
        import pyqtgraph as pg  # here, not at the top: see the module docstring

        self._clock = clock
        self._text = "#808080"  # the theme's text colour once _apply_theme has run
        self._process = psutil.Process()
        self._process.cpu_percent()  # the first call only starts the measurement
        self.throughput = Series("Upload throughput", "MB/s")
        self.cpu = Series("GenoFlow CPU", "%")
        self.memory = Series("GenoFlow memory", "MB")
        self.series = {"throughput": self.throughput, "cpu": self.cpu, "memory": self.memory}
        self.view = pg.GraphicsLayoutWidget()
        self.view.setFixedHeight(CHARTS_HEIGHT)
        # Room on the right for the "now" label under the last point.
        self.view.ci.setContentsMargins(2, 0, 14, 0)
        self.view.ci.setSpacing(2)
        self.plots: dict[str, pyqtgraph.PlotItem] = {}
        self.curves: dict[str, pyqtgraph.PlotDataItem] = {}
        last = list(self.series)[-1]
        for row, (key, series) in enumerate(self.series.items()):
            plot = self.view.addPlot(row=row, col=0)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            # A little beyond both ends, so the first and last labels ("now") are drawn.
            plot.setXRange(-WINDOW_S - 8, 8, padding=0)
            plot.setLabel("left", units=None, text=series.unit)
            plot.getAxis("left").setWidth(44)
            # No vertical grid: with one, pyqtgraph clips the "now" label at the right edge.
            plot.showGrid(x=False, y=True, alpha=0.25)
            bottom = plot.getAxis("bottom")
            bottom.setTicks(time_ticks())
            if key != last:  # one time axis, under the last plot
                bottom.setStyle(showValues=False)
                bottom.setHeight(4)
            else:
                bottom.setStyle(hideOverlappingLabels=False)
            self.plots[key] = plot
            self.curves[key] = plot.plot([], [], connect="finite")
        for key in self.plots:
            if key != last:
                self.plots[key].setXLink(self.plots[last])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.setAccessibleName("Live charts")
        self._apply_theme()

    # -- samples ---------------------------------------------------------------------------

    def add_sample(self, throughput_bps: float) -> None:
        """Record one sample now: the throughput given, the process's CPU and memory measured."""
        now = self._clock()
        self.throughput.add(now, throughput_bps / 1e6)
        self.cpu.add(now, self._process.cpu_percent())
        self.memory.add(now, self._process.memory_info().rss / 1e6)
        self.redraw()

    def load_history(self, samples: Iterable[tuple[float, float, float, float]]) -> None:
        """Replace the history with (seconds ago, throughput B/s, CPU %, memory bytes) tuples,
        oldest first (the screenshots' demo data)."""
        now = self._clock()
        for series in self.series.values():
            series.points.clear()
        for ago, throughput, cpu, memory in samples:
            self.throughput.add(now - ago, throughput / 1e6)
            self.cpu.add(now - ago, cpu)
            self.memory.add(now - ago, memory / 1e6)
        self.redraw()

    def redraw(self) -> None:
        now = self._clock()
        for key, series in self.series.items():
            xs, ys = series.xy(now)
            self.curves[key].setData(xs, ys, connect="finite")
            latest = series.values[-1] if series.values else None
            shown = "–" if latest is None else value_text(latest, series.unit)
            self.plots[key].setTitle(
                f"{series.title}: <b>{shown}</b>", size="8pt", justify="left", color=self._text
            )
            upper, ticks = y_scale(max(series.values, default=0.0))
            self.plots[key].setYRange(0, upper, padding=0)
            self.plots[key].getAxis("left").setTicks([[(t, f"{t:g}") for t in ticks], []])
        self.setAccessibleDescription(
            "; ".join(
                f"{s.title} {value_text(s.values[-1], s.unit)}"
                for s in self.series.values()
                if s.values
            )
        )

    # -- theme -----------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # the user switched the theme
            self._apply_theme()
        super().changeEvent(event)

    def _apply_theme(self) -> None:
        import pyqtgraph as pg

        colors = theme_colors(self.palette())
        self._text = colors["text"].name()
        self.view.setBackground(colors["background"])
        for key, plot in self.plots.items():
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(colors["grid"]))
                axis.setTextPen(pg.mkPen(colors["text"]))
            line = QColor(colors[key])
            fill = QColor(line)
            fill.setAlpha(48)
            self.curves[key].setPen(pg.mkPen(line, width=2))
            self.curves[key].setFillLevel(0)
            self.curves[key].setBrush(pg.mkBrush(fill))
        self.redraw()
