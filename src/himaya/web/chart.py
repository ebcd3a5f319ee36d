"""A bar chart drawn by the server as SVG shapes (no script, no style attribute: the stylesheet
colours the classes), for the public dashboard. A suppressed value has no bar: a marker stands in
its place, explained by the page's legend. Right to left, the first month is drawn on the right."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 260
TOP, BOTTOM, SIDE = 24, 40, 8  # room for the values above the bars and the labels below


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    middle: float  # the x of the bar's centre, for its value and label
    label: str
    value: str  # the figure written above the bar, or the suppression marker
    suppressed: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    bars: tuple[Bar, ...]


def bars(
    values: Sequence[int | None],
    labels: Sequence[str],
    shown: Callable[[int], str],
    *,
    marker: str,
    rtl: bool = False,
) -> Chart:
    """One bar per value, scaled to the largest published value; None (suppressed) draws no bar.

    >>> c = bars([10, None, 20], ["a", "b", "c"], str, marker="*")
    >>> [(b.height, b.value, b.suppressed) for b in c.bars]
    [(98.0, '10', False), (0.0, '*', True), (196.0, '20', False)]
    >>> bars([1, 2], ["a", "b"], str, marker="*", rtl=True).bars[0].x > 360
    True
    """
    if len(values) != len(labels):
        raise ValueError(f"{len(values)} values for {len(labels)} labels")
    top = max((v for v in values if v is not None), default=0) or 1
    room = HEIGHT - TOP - BOTTOM
    step = (WIDTH - 2 * SIDE) / max(len(values), 1)
    drawn = []
    for k, (value, label) in enumerate(zip(values, labels, strict=True)):
        slot = len(values) - 1 - k if rtl else k
        x = SIDE + slot * step + step * 0.15
        height = 0.0 if value is None else round(room * value / top, 1)
        drawn.append(
            Bar(
                x=round(x, 1),
                y=round(TOP + room - height, 1),
                width=round(step * 0.7, 1),
                height=height,
                middle=round(x + step * 0.35, 1),
                label=label,
                value=marker if value is None else shown(value),
                suppressed=value is None,
            )
        )
    return Chart(WIDTH, HEIGHT, float(TOP + room), tuple(drawn))
