"""The report's charts, drawn on the server as SVG by matplotlib, each shown beside the table of
its figures (the table is what screen readers and the PDF's reader rely on; the chart is for a
glance). A hidden figure draws nothing: no bar, no point, never a guess.

Charts go into the page as `data:` images: the CSP allows those, and an SVG as an image runs no
script and needs no inline style in the page."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from matplotlib import rcParams
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

rcParams["svg.fonttype"] = "none"  # text stays text: smaller, sharp, selectable
rcParams["svg.hashsalt"] = "pelvicoach"  # the same figures give the same file
rcParams["font.family"] = "sans-serif"
rcParams["font.size"] = 9

INK = "#212529"
PALETTE = ("#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#0e7490", "#be123c", "#4d7c0f")
HEIGHT_PER_BAR = 0.34  # inches


def _data_uri(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", transparent=True)
    encoded = base64.b64encode(buffer.getvalue().encode()).decode()
    return f"data:image/svg+xml;base64,{encoded}"


def _frame(axes: object) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)  # type: ignore[attr-defined]
    axes.tick_params(colors=INK)  # type: ignore[attr-defined]


def bars(labels: Sequence[str], values: Sequence[int | None], texts: Sequence[str]) -> str:
    """Horizontal bars, one a category from the top, each with its text (the figure as the
    reader's language writes it, or the word for hidden)."""
    figure = Figure(figsize=(6.4, 0.6 + HEIGHT_PER_BAR * len(labels)))
    axes = figure.add_subplot()
    positions = range(len(labels))[::-1]
    shown = [value or 0 for value in values]
    axes.barh(list(positions), shown, color=PALETTE[0], height=0.6)
    for position, value, text in zip(positions, shown, texts, strict=True):
        axes.text(value, position, f" {text}", va="center", color=INK)
    axes.set_yticks(list(positions), labels)
    axes.set_xlim(0, max(shown, default=0) * 1.2 or 1)
    axes.xaxis.set_visible(False)
    _frame(axes)
    axes.spines["bottom"].set_visible(False)
    return _data_uri(figure)


def shares(x_labels: Sequence[str], series: dict[str, Sequence[float | None]], x_title: str) -> str:
    """Shares (0 to 1) over `x_labels`, a line per series; a hidden share breaks its line."""
    figure = Figure(figsize=(6.4, 3.0))
    axes = figure.add_subplot()
    for number, (name, points) in enumerate(series.items()):
        values = [float("nan") if point is None else point for point in points]
        axes.plot(
            range(len(x_labels)),
            values,
            marker="o",
            markersize=3,
            color=PALETTE[number % len(PALETTE)],
            label=name,
        )
    axes.set_xticks(range(len(x_labels)), x_labels)
    axes.set_xlabel(x_title, color=INK)
    axes.set_ylim(0, 1)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.grid(axis="y", color="#dee2e6")
    _frame(axes)
    if len(series) > 1:
        axes.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    return _data_uri(figure)
