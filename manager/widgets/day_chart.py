"""Answers by local day as bars, with each day's fell-short share beneath: the trend beside the hour chart."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from manager.widgets.hour_chart import EIGHTHS
from shared.stats import OutcomeCounts


def day_rows(days: dict[date, OutcomeCounts], height: int, column: int = 5) -> list[str]:
    """The chart's lines, top first: a bar of answers per day, then its day of the month and fell-short share.

    Pure. A day with no answers is left out of ``days`` by the statistics, and so of the chart.
    """
    peak = max((counts.answers for counts in days.values()), default=0) or 1
    rows = []
    for level in range(height, 0, -1):
        line = []
        for counts in days.values():
            eighths = round(counts.answers / peak * height * 8) - (level - 1) * 8
            line.append(EIGHTHS[max(0, min(eighths, 8))] * (column - 1) + " ")
        rows.append("".join(line).rstrip())
    rows.append("".join(f"{day:%d}".ljust(column) for day in days).rstrip())
    shares = [counts.below * 100 // counts.answers if counts.answers else 0 for counts in days.values()]
    rows.append("".join(f"{share}%".ljust(column) for share in shares).rstrip())
    return rows


class DayChart(Widget):
    """Answers per day; the line beneath says which share fell short that day."""

    days: reactive[dict[date, OutcomeCounts]] = reactive(dict, always_update=True)

    def render(self) -> Text:
        height = max(self.size.height - 2, 1)
        column = max(4, min(7, self.size.width // max(len(self.days), 1)))
        return Text("\n".join(day_rows(self.days, height, column)), no_wrap=True)
