"""Small, dependency-free SVG charts for self-contained HTML reports (no scripts, no images).

Charts are static markup so a report opens anywhere, offline, and can be mailed or archived.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 40
PALETTE = ("#1f7a8c", "#e07a5f", "#3d405b", "#81b29a", "#f2cc8f", "#9c89b8")


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def _frame(title: str, x_label: str, y_label: str, y_max: float, y_min: float = 0.0) -> list[str]:
    plot_bottom, plot_top = HEIGHT - BOTTOM, TOP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" class="title">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{plot_bottom}" x2="{WIDTH - RIGHT}" y2="{plot_bottom}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{plot_top}" x2="{LEFT}" y2="{plot_bottom}" class="axis"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 6}" text-anchor="middle" class="label">{escape(x_label)}</text>',
        f'<text x="14" y="{(plot_top + plot_bottom) / 2}" text-anchor="middle" class="label" '
        f'transform="rotate(-90 14 {(plot_top + plot_bottom) / 2})">{escape(y_label)}</text>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        value = y_min + (y_max - y_min) * fraction
        y = _scale(value, y_min, y_max, plot_bottom, plot_top)
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{value:,.4g}</text>'
        )
    return parts


def _x_ticks(labels: Sequence[str], positions: Sequence[float]) -> list[str]:
    step = max(1, len(labels) // 8)
    return [
        f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" class="tick">{escape(label)}</text>'
        for index, (label, x) in enumerate(zip(labels, positions, strict=True))
        if index % step == 0
    ]


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float], x_label: str, y_label: str
) -> str:
    """Vertical bars, one per label."""
    if not values:
        return ""
    y_max = max(max(values), 1e-9)
    parts = _frame(title, x_label, y_label, y_max)
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / len(values)
    centres = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + index * slot
        top = _scale(value, 0, y_max, HEIGHT - BOTTOM, TOP)
        parts.append(
            f'<rect x="{x + slot * 0.1:.1f}" y="{top:.1f}" width="{max(slot * 0.8, 0.5):.1f}" '
            f'height="{HEIGHT - BOTTOM - top:.1f}" fill="{PALETTE[0]}"><title>{escape(label)}: {value:,.4g}</title></rect>'
        )
        centres.append(x + slot / 2)
    parts += _x_ticks(labels, centres)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    x_values: Sequence[float],
    series: dict[str, Sequence[float]],
    x_label: str,
    y_label: str,
    *,
    bands: Sequence[tuple[Sequence[float], Sequence[float]]] = (),
    y_range: tuple[float, float] | None = None,
) -> str:
    """Lines over a shared x axis; ``bands`` are shaded (low, high) ranges drawn underneath."""
    if not x_values or not series:
        return ""
    all_values = [v for values in series.values() for v in values] + [
        v for low, high in bands for v in (*low, *high)
    ]
    y_min, y_max = y_range or (min(0.0, min(all_values)), max(max(all_values), 1e-9))
    parts = _frame(title, x_label, y_label, y_max, y_min)
    x_low, x_high = min(x_values), max(x_values)

    def point(x: float, y: float) -> str:
        return f"{_scale(x, x_low, x_high, LEFT, WIDTH - RIGHT):.1f},{_scale(y, y_min, y_max, HEIGHT - BOTTOM, TOP):.1f}"

    for opacity, (low, high) in zip((0.18, 0.32), bands, strict=False):
        outline = [point(x, y) for x, y in zip(x_values, high, strict=True)]
        outline += [point(x, y) for x, y in reversed(list(zip(x_values, low, strict=True)))]
        parts.append(
            f'<polygon points="{" ".join(outline)}" fill="{PALETTE[0]}" fill-opacity="{opacity}"/>'
        )
    for index, (name, values) in enumerate(series.items()):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(point(x, y) for x, y in zip(x_values, values, strict=True))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.6"/>'
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT - 4}" y="{TOP + 12 + 13 * index}" text-anchor="end" '
            f'class="legend" fill="{color}">{escape(name)}</text>'
        )
    ticks = [x_low + (x_high - x_low) * f for f in (0, 0.25, 0.5, 0.75, 1)]
    parts += _x_ticks(
        [f"{t:,.0f}" for t in ticks], [_scale(t, x_low, x_high, LEFT, WIDTH - RIGHT) for t in ticks]
    )
    parts.append("</svg>")
    return "".join(parts)
