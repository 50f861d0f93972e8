"""Server-rendered charts: the geometry of small bar and line charts, drawn as inline SVG by the templates.

No JavaScript and no chart library: a chart is a list of shapes in a fixed ``viewBox`` that the
browser scales to the width it has. Every chart on a page comes with its numbers in a table
(the text alternative), so these shapes never carry information that is not also written down.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH = 320
HEIGHT = 160
LEFT = 44  # room for the value axis' labels
BOTTOM = 24  # room for the time axis' labels
TOP = 8
RIGHT = 8


@dataclass(frozen=True)
class Tick:
    """A line across the plot at ``y`` with its value written beside it."""

    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int | None  # None: not shown (too few people)


@dataclass(frozen=True)
class Dot:
    x: float
    y: float


@dataclass(frozen=True)
class Chart:
    """Everything a template needs to draw one chart."""

    width: int
    height: int
    baseline: float
    left: int
    ticks: tuple[Tick, ...]
    bars: tuple[Bar, ...] = ()
    dots: tuple[Dot, ...] = ()
    path: str = ""
    first_label: str = ""
    last_label: str = ""


def nice_top(value: float) -> float:
    """A round number at or above ``value`` for the top of the value axis (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _ticks(top: float, plot_height: float, fmt: str) -> tuple[Tick, ...]:
    return tuple(
        Tick(y=round(TOP + plot_height * (1 - share), 1), label=fmt.format(top * share)) for share in (0, 0.5, 1)
    )


def bar_chart(points: Sequence[tuple[str, int | None]], *, top: float | None = None) -> Chart:
    """Bars for ``(label, value)`` in order; a None value leaves its slot empty (the table says why)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    highest = top if top is not None else nice_top(max((v or 0 for _, v in points), default=0))
    slot = plot_w / max(1, len(points))
    bars = []
    for i, (label, value) in enumerate(points):
        height = 0.0 if not value else plot_h * value / highest
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * 0.15, 1),
                y=round(TOP + plot_h - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=label,
                value=value,
            )
        )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        baseline=TOP + plot_h,
        left=LEFT,
        ticks=_ticks(highest, plot_h, "{:.0f}"),
        bars=tuple(bars),
        first_label=points[0][0] if points else "",
        last_label=points[-1][0] if points else "",
    )


def line_chart(points: Sequence[tuple[datetime, float]], *, top: float, unit: str = "{:.0f}") -> Chart:
    """A line through ``(time, value)`` in time order from 0 to ``top``; one point is drawn as a dot."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    highest = nice_top(top)
    ordered = sorted(points)
    start = ordered[0][0] if ordered else None
    span = (ordered[-1][0] - ordered[0][0]).total_seconds() if len(ordered) > 1 else 0.0
    dots = []
    for at, value in ordered:
        share = (at - start).total_seconds() / span if start is not None and span else 0.5
        dots.append(Dot(x=round(LEFT + plot_w * share, 1), y=round(TOP + plot_h * (1 - value / highest), 1)))
    path = " ".join(f"{'M' if i == 0 else 'L'}{d.x},{d.y}" for i, d in enumerate(dots))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        baseline=TOP + plot_h,
        left=LEFT,
        ticks=_ticks(highest, plot_h, unit),
        dots=tuple(dots),
        path=path if len(dots) > 1 else "",
        first_label=ordered[0][0].date().isoformat() if ordered else "",
        last_label=ordered[-1][0].date().isoformat() if ordered else "",
    )
