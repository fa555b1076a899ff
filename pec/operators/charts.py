"""Geometry of the operators' charts, drawn as inline SVG by templates/operators/_charts.html
(no JavaScript, no third party). Only numbers here: the template adds the words and the
table with the same figures.
"""

import math
from dataclasses import dataclass

WIDTH = 720
HEIGHT = 260
LEFT = 44  # room for the axis labels
TOP = 12
BOTTOM = 36  # room for the column labels


def nice_step(value: float) -> int:
    """The smallest whole 1, 2 or 5 × 10ⁿ at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def axis(top: int) -> tuple[int, int]:
    """(highest value on the axis, step between ticks): whole numbers, about four steps,
    and room for `top` (an empty chart still gets an axis up to 4)."""
    step = nice_step(top / 4)
    return max(step * math.ceil(top / step), 4 * step if top == 0 else step), step


@dataclass(frozen=True)
class Segment:
    key: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Column:
    label: str
    short: str  # the label under the column ("" to skip it when columns are many)
    total: int
    segments: list
    x: float
    width: float

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: int
    top: int
    bottom: float  # y of the axis
    columns: list
    ticks: list  # (y, value)
    keys: tuple


def column_chart(rows, keys, label_every: int = 1) -> ColumnChart:
    """Stacked columns: `rows` are (label, short label, {key: value}); `keys` from the
    bottom of a column up."""
    axis_y = HEIGHT - BOTTOM
    plot_height = axis_y - TOP
    highest = max((sum(values.get(k, 0) for k in keys) for *_, values in rows), default=0)
    top_value, step = axis(highest)
    slot = (WIDTH - LEFT) / max(len(rows), 1)
    bar = max(slot * 0.7, 1)
    columns = []
    for index, (label, short, values) in enumerate(rows):
        x = LEFT + index * slot + (slot - bar) / 2
        y = axis_y
        segments = []
        for key in keys:
            value = values.get(key, 0)
            height = plot_height * value / top_value
            y -= height
            if value:
                segments.append(
                    Segment(key, value, round(x, 1), round(y, 1), round(bar, 1), round(height, 1))
                )
        total = sum(values.get(k, 0) for k in keys)
        shown = short if index % label_every == 0 else ""
        columns.append(Column(label, shown, total, segments, round(x, 1), round(bar, 1)))
    ticks = [
        (round(axis_y - plot_height * value / top_value, 1), value)
        for value in range(0, top_value + 1, step)
    ]
    return ColumnChart(WIDTH, HEIGHT, LEFT, TOP, axis_y, columns, ticks, tuple(keys))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str  # the value as shown (an amount)
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    bar_height: int
    bars: list


def bar_chart(rows, label_width: int = 230, bar_height: int = 26) -> BarChart:
    """Horizontal bars: `rows` are (label, value, text)."""
    top_value = max((value for _label, value, _text in rows), default=0) or 1
    room = WIDTH - label_width - 110  # the value's text goes after the bar
    bars = [
        Bar(label, value, text, index * (bar_height + 10) + 4, round(room * value / top_value, 1))
        for index, (label, value, text) in enumerate(rows)
    ]
    return BarChart(WIDTH, len(rows) * (bar_height + 10) + 8, label_width, bar_height, bars)
