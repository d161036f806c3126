"""Small charts for a woman's progress: the geometry is computed here and drawn by the
templates as inline SVG (no script, no library, no inline style the CSP would block), each
next to a table with the same numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

WIDTH, HEIGHT = 320, 180
LEFT, RIGHT, TOP, BOTTOM = 34, 30, 12, 28  # room for the axes' labels
NOTE_ROW = 16  # extra room under the x labels for a second line (PGI-I)


@dataclass(frozen=True)
class Point:
    label: str  # what the x axis says: "start", "week 4", ...
    value: int
    x: float
    y: float
    note: str = ""  # a second line under the label


@dataclass(frozen=True)
class Bar:
    label: str  # empty where the axis would be too crowded; the table has them all
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    points: list[Point]
    maximum: int
    ticks: list[tuple[int, float]]  # (value, y) for the y axis
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: float = HEIGHT - BOTTOM

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    ticks: list[tuple[int, float]]
    target: int | None  # the plan's number, drawn as a line
    target_y: float | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: float = HEIGHT - BOTTOM


def _scale(maximum: int) -> tuple[Callable[[float], float], list[tuple[int, float]]]:
    """The y of a value on a 0..maximum axis, and about four round ticks along it."""
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / maximum)

    step = max(1, -(-maximum // 4))
    return y, [(tick, y(tick)) for tick in range(0, maximum + 1, step)]


def chart(values: list[tuple[str, int]], maximum: int, notes: list[str] | None = None) -> Chart:
    """A line of `values` (label, score) on a 0..maximum scale, evenly spaced in time order;
    `notes` puts a second line under each label."""
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_w / max(len(values) - 1, 1) if len(values) > 1 else 0
    start = LEFT if len(values) > 1 else LEFT + plot_w / 2
    y, ticks = _scale(maximum)
    notes = notes or [""] * len(values)
    points = [
        Point(label, value, start + index * step, y(value), note)
        for index, ((label, value), note) in enumerate(zip(values, notes, strict=True))
    ]
    extra = NOTE_ROW if any(notes) else 0
    return Chart(points=points, maximum=maximum, ticks=ticks, height=HEIGHT + extra)


def bars(values: list[tuple[str, int]], target: int | None = None, every: int = 1) -> BarChart:
    """Bars of `values` (label, count) from zero, with the plan's `target` as a line; only every
    `every`th bar is labelled so the axis stays readable on a phone."""
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / max(len(values), 1)
    highest = max([value for _, value in values] + [target or 0, 1])
    step = max(1, -(-highest // 4))
    y, ticks = _scale(-(-highest // step) * step)  # the top a whole tick
    drawn = [
        Bar(
            label if index % every == 0 else "",
            value,
            LEFT + index * slot + slot * 0.15,
            y(value),
            slot * 0.7,
            y(0) - y(value),
        )
        for index, (label, value) in enumerate(values)
    ]
    return BarChart(bars=drawn, ticks=ticks, target=target, target_y=y(target) if target else None)
