"""The app's look: Fusion everywhere (the same on every OS), a light or dark palette, and a
little style sheet for the navigation and the dashboard cards. Colours come from the palette so
both themes work."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

STYLE_SHEET = """
QListWidget#navigation {
    border: none;
    border-right: 1px solid palette(mid);
    background: palette(alternate-base);
    padding-top: 12px;
    font-size: 10.5pt;
}
QListWidget#navigation::item { padding-left: 14px; border-radius: 6px; margin: 1px 8px; }
QListWidget#navigation::item:selected { background: palette(highlight); color: palette(highlighted-text); }
QLabel#pageTitle { font-size: 18pt; font-weight: 600; }
QLabel#pageSubtitle, QLabel#statCaption, QLabel#emptyStateText { color: palette(placeholder-text); }
QFrame#statCard {
    border: 1px solid palette(mid);
    border-radius: 10px;
    background: palette(base);
    padding: 6px 10px;
}
QLabel#statValue { font-size: 22pt; font-weight: 600; }
QPushButton#quickAction { padding: 6px 16px; }
"""


def dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#1f2328",
        QPalette.ColorRole.WindowText: "#e6e8eb",
        QPalette.ColorRole.Base: "#16191d",
        QPalette.ColorRole.AlternateBase: "#262b31",
        QPalette.ColorRole.Text: "#e6e8eb",
        QPalette.ColorRole.Button: "#2b3138",
        QPalette.ColorRole.ButtonText: "#e6e8eb",
        QPalette.ColorRole.Highlight: "#1f7a8c",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Mid: "#3a4149",
        QPalette.ColorRole.PlaceholderText: "#9aa4ae",
        QPalette.ColorRole.ToolTipBase: "#2b3138",
        QPalette.ColorRole.ToolTipText: "#e6e8eb",
        QPalette.ColorRole.Link: "#7fd1c1",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#6b747d"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b747d"))
    return palette


def light_palette() -> QPalette:
    palette = QApplication.style().standardPalette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#1f7a8c"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f3f5f7"))
    palette.setColor(QPalette.ColorRole.Mid, QColor("#d5dae0"))
    return palette


def apply_theme(app: QApplication, theme: str) -> None:
    """Apply "system", "light" or "dark"."""
    app.setStyle("Fusion")
    if theme == "dark":
        app.setPalette(dark_palette())
    elif theme == "light":
        app.setPalette(light_palette())
    else:
        hints = app.styleHints()
        is_dark = hints.colorScheme().name == "Dark"
        app.setPalette(dark_palette() if is_dark else light_palette())
    app.setStyleSheet(STYLE_SHEET)
