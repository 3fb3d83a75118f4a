"""Draw the README's picture of the report's trend sections from a made-up quarter (deterministic).

python tests/manager/trend_picture.py      # writes docs/report-trends.svg
"""

from __future__ import annotations

import html
import random
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from manager.report import gather  # noqa: E402
from manager.report_trends import TrendOptions, comparison_line, frequent_words, share_chart_svg  # noqa: E402
from shared.ratings import Channel, Outcome, Rating  # noqa: E402
from shared.store import FeedbackStore  # noqa: E402

LAST = date(2026, 11, 22)
COMMENTS = [
    "long wait at the till",
    "waited ages, long wait",
    "card machine down again",
    "rude at the till",
    "long wait, only one till open",
    "cold coffee",
]


def build(store: FeedbackStore) -> None:
    rng = random.Random(15)
    for offset in range(12 * 7 * 2, -1, -1):
        day = LAST - timedelta(days=offset)
        worse = 0.12 + (0.10 if offset < 21 else 0)  # the till got worse three weeks ago
        for number in range(rng.randint(25, 45)):
            at = datetime(day.year, day.month, day.day, 14, tzinfo=UTC) + timedelta(minutes=number * 9)
            station = rng.choice(["Till 1", "Till 2", "Patio"])
            below = rng.random() < (worse if station == "Till 1" else 0.12)
            outcome = Outcome.BELOW if below else rng.choice([Outcome.MET, Outcome.MET, Outcome.EXCEEDED])
            comment = rng.choice(COMMENTS) if below and rng.random() < 0.5 else ""
            rating = Rating(
                id=f"{day}-{number}",
                ts=at,
                channel=Channel.KIOSK,
                outcome=outcome,
                station=station,
                reasons=("wait_time",) if below else (),
                comment=comment,
            )
            store.record_rating(rating, now=at)


def picture(store: FeedbackStore) -> str:
    stats = gather(
        store,
        since=LAST - timedelta(days=12 * 7 - 1),
        until=LAST,
        zone=ZoneInfo("UTC"),
        now=datetime(2026, 11, 23, tzinfo=UTC),
        target=timedelta(minutes=15),
        trends=TrendOptions(compare=True),
    )
    assert stats.trends is not None and stats.comparison is not None and stats.writings is not None
    chart = share_chart_svg(stats.trends.weeks).replace('width="100%"', 'x="10" y="40" width="760" height="190"')
    lines = ["Against the period before (two-proportion z-test, p < 0.05):"]
    lines += [
        ("! " if c.notable else "  ") + comparison_line(c, {"wait_time": "Wait time"})
        for c in stats.comparison.changes
        if c.subject in ("total", "station")
    ]
    lines += ["", f"Frequent words in fell-short comments: {frequent_words(stats.writings.frequent)}"[:120]]
    text = "".join(f'<text x="14" y="{262 + 18 * n}">{html.escape(line)}</text>' for n, line in enumerate(lines))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 780 390" width="780" height="390" '
        'font-family="DejaVu Sans, sans-serif" font-size="12">'
        '<rect width="780" height="390" fill="#fff"/>'
        '<text x="14" y="26" font-size="16" font-weight="bold">Fell short, week by week (dot: share; bar: 95 % '
        "interval)</text>" + chart + f'<g fill="#222" xml:space="preserve">{text}</g></svg>\n'
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = FeedbackStore(Path(folder) / "data")
        build(store)
        (ROOT / "docs" / "report-trends.svg").write_text(picture(store), encoding="utf-8")


if __name__ == "__main__":
    main()
