"""Her severity over time as a small line chart: the geometry is computed here and drawn by
the template as inline SVG (no script, no library), next to a table with the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 320, 180
LEFT, RIGHT, TOP, BOTTOM = 34, 30, 12, 28  # room for the axes' labels


@dataclass(frozen=True)
class Point:
    label: str  # what the x axis says: "start", "week 4", ...
    value: int
    x: float
    y: float


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


def chart(values: list[tuple[str, int]], maximum: int) -> Chart:
    """A chart of `values` (label, score) on a 0..maximum scale, evenly spaced in time order."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / maximum)

    points = [
        Point(label, value, LEFT + (index * step if len(values) > 1 else plot_w / 2), y(value))
        for index, (label, value) in enumerate(values)
    ]
    ticks = [(tick, y(tick)) for tick in range(0, maximum + 1, max(1, maximum // 4))]
    return Chart(points=points, maximum=maximum, ticks=ticks)
