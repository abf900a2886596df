"""SVG icons from ``resources/icons``, tinted to the palette and sharp at any DPI.

Icons are rendered once per size, mode and device pixel ratio into the QIcon. (A Python
``QIconEngine`` subclass would render lazily, but PySide6 6.12 mishandles the reference count
of its ``paint`` override and eventually aborts the interpreter, so we render up front.)
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from genoflow_desktop.core.resources import read_bytes

#: Sizes the app asks for; the application icon also needs the large ones for docks and
#: task switchers. Each render costs ~0.5 ms, so only these are made, at the screen's ratio.
SIZES = (16, 22, 24, 32, 48)
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def _render(svg: bytes, color: QColor, size: int, ratio: float) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg.replace(b"currentColor", color.name().encode())))
    pixels = round(size * ratio)
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _screen_ratio() -> float:
    screen = QApplication.primaryScreen()
    return screen.devicePixelRatio() if screen is not None else 1.0


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg``, with ``currentColor`` taken from the palette."""
    svg = read_bytes("icons", f"{name}.svg")
    palette = QApplication.palette()
    colors = {
        QIcon.Mode.Normal: palette.color(QPalette.ColorRole.WindowText),
        QIcon.Mode.Selected: palette.color(QPalette.ColorRole.HighlightedText),
        QIcon.Mode.Disabled: palette.color(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText
        ),
    }
    ratio = _screen_ratio()
    result = QIcon()
    for mode, color in colors.items():
        for size in SIZES:
            result.addPixmap(_render(svg, color, size, ratio), mode)
    return result


@cache
def app_icon() -> QIcon:
    svg = read_bytes("icons", "genoflow.svg")
    result = QIcon()
    for size in APP_ICON_SIZES:
        result.addPixmap(_render(svg, QColor("black"), size, 1.0))
    return result


def clear_cache() -> None:
    """Forget rendered icons (after a theme change their colours are stale)."""
    icon.cache_clear()
    app_icon.cache_clear()
