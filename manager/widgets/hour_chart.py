"""Answers by local hour as a bar chart drawn with block characters."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

EIGHTHS = " ▁▂▃▄▅▆▇█"


def bar_rows(counts: tuple[int, ...], height: int, column: int = 3) -> list[str]:
    """The chart's lines, top first; each hour is ``column`` cells wide with a one-cell gap. Pure."""
    peak = max(counts, default=0) or 1
    rows = []
    for level in range(height, 0, -1):
        line = []
        for count in counts:
            eighths = round(count / peak * height * 8) - (level - 1) * 8
            cell = EIGHTHS[max(0, min(eighths, 8))]
            line.append(cell * (column - 1) + " ")
        rows.append("".join(line).rstrip())
    labels = "".join(f"{hour:02d}".ljust(column) if hour % 2 == 0 else " " * column for hour in range(len(counts)))
    rows.append(labels.rstrip())
    return rows


class HourChart(Widget):
    """24 bars; the widget's height (from its .tcss) sets the bars' resolution."""

    counts: reactive[tuple[int, ...]] = reactive(tuple([0] * 24))

    def render(self) -> Text:
        height = max(self.size.height - 1, 1)
        column = max(2, min(6, self.size.width // 24))
        text = Text("\n".join(bar_rows(self.counts, height, column)), no_wrap=True)
        return text
