"""Hot spots in the console: the alerts the server kept (see :mod:`sms.hot_spot_alerts`), in words.

Pure. The queue screen shows the spots of the last window above the table, the app rings for a new one.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.hot_spots import Spot, SpotKind
from shared.reasons import reason_label
from shared.text import printable


def spot_words(spot: Spot, labels: Mapping[str, str]) -> str:
    """``Hot spot · Till 1: 3 of 4 fell short in 15 min (75 %) · top reason: Wait time``."""
    station = printable(spot.station) or "(no station)"
    minutes = f"{spot.window.total_seconds() / 60:g}"
    if spot.kind is SpotKind.GREAT_STREAK:
        return f"Great streak · {station}: {spot.answers} answers in {minutes} min, none fell short"
    reason = printable(reason_label(spot.top_reason, labels)) if spot.top_reason else "none given"
    return (
        f"Hot spot · {station}: {spot.below} of {spot.answers} fell short in {minutes} min "
        f"({spot.share * 100:.0f} %) · top reason: {reason}"
    )
