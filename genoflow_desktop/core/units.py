"""Sizes for people: decimal units (1 KB = 1000 bytes), as file managers and servers show them."""

from __future__ import annotations


def human_size(size: float) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
