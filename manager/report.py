"""Reports: the statistics screen's figures as text, CSV, or one self-contained HTML file.

:func:`gather` is the only part that reads the store (summaries and follow-ups, never the
ratings themselves); the renderers are pure functions of :class:`shared.stats.Stats`.
"""

from __future__ import annotations

import dataclasses
import html
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from manager import loop_report, report_trends
from manager.loop_report import gather_loop
from manager.report_trends import TrendOptions, with_trends
from manager.words import duration_words, percent
from shared.csv_safe import SafeWriter
from shared.progress import Steps
from shared.reasons import DEFAULT_REASONS, reason_label
from shared.stats import LoopTimes, OutcomeCounts, Stats, Summaries, compute, utc_days_for
from shared.store import FeedbackStore
from shared.text import printable
from shared.trends import previous_period

FORMATS = ("text", "csv", "html", "json")


def gather(
    store: FeedbackStore,
    *,
    since: date,
    until: date,
    zone: tzinfo,
    now: datetime,
    target: timedelta,
    steps: Steps | None = None,
    trends: TrendOptions | None = None,
) -> Stats:
    """Compute the figures for the local days [since, until] from the store's summaries and follow-ups.

    Read a month's summaries (a stale day alone) and an archive month at a time, one short transaction
    each, so a report over years, or the first after a restore (every day recounted), never keeps a
    kiosk waiting.
    With ``trends``, the same reads also give the day and week series and what customers wrote.
    """
    first, last = utc_days_for(since, until)
    if isinstance(store, FeedbackStore):
        # Without trends the days are folded one at a time (memory flat in the period); the trends
        # read the summaries again, so they are kept (a year: a few MiB of counts).
        summaries: Summaries | Iterator[tuple[str, dict[str, dict[str, int]]]] = store.each_day_summary(
            first, last, steps=steps
        )
        if trends is not None:
            summaries = dict(summaries)
        # Loop times from the archive's month tallies; the follow-ups themselves only for what customers wrote.
        rows, records = store.followup_loops(first, last, words=trends is not None)
        # Made one at a time as the figures are counted: three years' follow-ups as datetimes would be
        # another 25 MiB beside their times kept as seconds.
        times: Iterable[LoopTimes] = (LoopTimes(*moments) for moments in rows.moments())
    else:  # a console on another machine: the server does the reading
        summaries = store.daily_summaries(first, last)
        records = store.followup_records(first, last)
        times = LoopTimes.of_fell_short(records)
    stats = compute(summaries, times, since=since, until=until, zone=zone, now=now, target=target)
    stats = _with_loop(stats, store, zone)
    if trends is None:
        return stats
    previous = None
    if trends.compare:
        before, after = previous_period(since, until)
        previous = gather(store, since=before, until=after, zone=zone, now=now, target=target)
    return with_trends(stats, summaries, records, trends, zone=zone, previous=previous)


def _with_loop(stats: Stats, store: FeedbackStore, zone: tzinfo) -> Stats:
    """The perception gap and the recovery rate (:mod:`manager.loop_report`)."""
    found, checks = gather_loop(store, since=stats.since, until=stats.until, zone=zone)
    return dataclasses.replace(stats, perception=found, recovery=checks)


def render(stats: Stats, fmt: str, *, business: str = "", labels: Mapping[str, str] = DEFAULT_REASONS) -> str:
    """The report in one format; ``labels`` are the shop's reason labels (``[kiosk] reasons``)."""
    if fmt == "text":
        return render_text(stats, business=business, labels=labels)
    if fmt == "csv":
        return render_csv(stats, labels=labels)
    if fmt == "html":
        return render_html(stats, business=business, labels=labels)
    if fmt == "json":
        from manager.report_json import render_json

        return render_json(stats, business=business, labels=labels)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


def _zone(stats: Stats) -> tzinfo:
    try:
        return ZoneInfo(stats.timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return UTC


def _period(stats: Stats) -> str:
    if stats.since == stats.until:
        return f"{stats.since:%a %d %b %Y}"
    return f"{stats.since:%d %b %Y} – {stats.until:%d %b %Y}"


def headline(stats: Stats) -> list[tuple[str, str]]:
    """The key figures, labelled, in the order every format shows them."""
    return [
        ("Answers", str(stats.answers)),
        ("Met or exceeded", percent(stats.met_or_exceeded_share)),
        ("Exceeded", percent(stats.exceeded_share)),
        ("Fell short", str(stats.below)),
        ("Suspect taps (left out)", str(stats.suspect)),
        ("Follow-ups", str(stats.followups)),
        ("Median time to claim", duration_words(stats.median_to_claim)),
        ("Median time to resolve", duration_words(stats.median_to_resolve)),
        (f"Resolved within {duration_words(stats.target)}", percent(stats.within_target_share)),
        ("Still open", str(stats.still_open)),
    ]


def group_rows(groups: dict[str, OutcomeCounts]) -> list[tuple[str, int, int, str]]:
    """(name, answers, fell short, met-or-exceeded share) for a breakdown table."""
    return [
        (printable(name) or "(none)", counts.answers, counts.below, percent(counts.met_or_exceeded_share))
        for name, counts in groups.items()
    ]


def reasons_by_label(stats: Stats, labels: Mapping[str, str]) -> dict[str, int]:
    """Fell short by reason as people read it: keys become labels (two keys with one label add up), most first.

    Labels and unknown keys are set by people: shown with :func:`printable`, never as escapes.
    """
    counts: Counter[str] = Counter()
    for key, count in stats.below_by_reason.items():
        counts[printable(reason_label(key, labels))] += count
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def breakdowns(stats: Stats) -> list[tuple[str, dict[str, OutcomeCounts]]]:
    return [("Channel", stats.by_channel), ("Station", stats.by_station), ("Staff", stats.by_staff)]


# -- text ------------------------------------------------------------------------


def _title(stats: Stats, business: str) -> str:
    return f"Feedback report{' for ' + printable(business) if business else ''}: {_period(stats)}"


def shoutout_rows(stats: Stats) -> list[tuple[str, int]]:
    """(name, count): names are typed by customers, so shown with :func:`printable`."""
    return [(printable(name), count) for name, count in stats.shoutouts.items()]


def render_text(stats: Stats, *, business: str = "", labels: Mapping[str, str] = DEFAULT_REASONS) -> str:
    """Plain lines for a terminal or a mail: every name passes :func:`printable`, so no escape reaches the reader."""
    lines = [f"{_title(stats, business)} ({stats.timezone})", ""]
    width = max(len(label) for label, _ in headline(stats))
    lines += [f"  {label:<{width}}  {value}" for label, value in headline(stats)]
    lines += ["", "Fell short by reason"]
    reasons = reasons_by_label(stats, labels)
    lines += [f"  {reason:<24} {count:>6}" for reason, count in reasons.items()] or ["  (none given)"]
    for title, groups in breakdowns(stats):
        lines += ["", f"{'By ' + title.lower():<26} {'answers':>7} {'short':>6} {'met+':>6}"]
        lines += [f"  {name:<24} {answers:>7} {below:>6} {met:>6}" for name, answers, below, met in group_rows(groups)]
    if stats.shoutouts:
        lines += ["", "Shout-outs"] + [f"  {name:<24} {count:>6}" for name, count in shoutout_rows(stats)]
    lines += ["", "Answers by hour"]
    peak = max(stats.answers_by_hour) or 1
    for hour, count in enumerate(stats.answers_by_hour):
        if count:
            lines.append(f"  {hour:02d}:00 {count:>6} {'█' * max(1, round(count / peak * 40))}")
    lines += loop_report.text_lines(stats.perception, stats.recovery, labels, _zone(stats))
    lines += report_trends.text_lines(stats, labels)
    return "\n".join(lines) + "\n"


# -- CSV -------------------------------------------------------------------------


def csv_rows(stats: Stats, labels: Mapping[str, str] = DEFAULT_REASONS) -> Iterator[list[str | int]]:
    """Long format (section, name, measure, value): easy to filter and pivot in a spreadsheet."""
    yield ["section", "name", "measure", "value"]
    yield ["period", "", "since", stats.since.isoformat()]
    yield ["period", "", "until", stats.until.isoformat()]
    yield ["period", "", "timezone", stats.timezone]
    for name, value in [
        ("answers", stats.answers),
        ("below", stats.below),
        ("met", stats.totals.met),
        ("exceeded", stats.totals.exceeded),
        ("met_or_exceeded_share", _ratio(stats.met_or_exceeded_share)),
        ("exceeded_share", _ratio(stats.exceeded_share)),
        ("suspect", stats.suspect),
        ("followups", stats.followups),
        ("claimed", stats.claimed),
        ("resolved", stats.resolved),
        ("still_open", stats.still_open),
        ("median_seconds_to_claim", _seconds(stats.median_to_claim)),
        ("median_seconds_to_resolve", _seconds(stats.median_to_resolve)),
        ("target_seconds", _seconds(stats.target)),
        ("resolved_within_target", stats.within_target),
        ("resolved_within_target_share", _ratio(stats.within_target_share)),
    ]:
        yield ["total", "", name, value]
    for reason, count in reasons_by_label(stats, labels).items():
        yield ["reason", reason, "below", count]
    for title, groups in breakdowns(stats):
        for name, counts in groups.items():
            for measure in ("answers", "below", "met", "exceeded"):
                yield [title.lower(), name, measure, getattr(counts, measure)]
    for name, count in stats.shoutouts.items():
        yield ["shoutout", name, "count", count]
    for hour, count in enumerate(stats.answers_by_hour):
        yield ["hour", f"{hour:02d}", "answers", count]
    for day, counts in stats.answers_by_day.items():
        for measure in ("answers", "below", "met", "exceeded"):
            yield ["day", day.isoformat(), measure, getattr(counts, measure)]
    yield from loop_report.csv_rows(stats.perception, stats.recovery)
    yield from report_trends.csv_rows(stats, labels)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _seconds(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds():.0f}"


def render_csv(stats: Stats, labels: Mapping[str, str] = DEFAULT_REASONS) -> str:
    out = io.StringIO()
    SafeWriter(out).writerows(csv_rows(stats, labels))
    return out.getvalue()


# -- HTML ------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .8rem;text-align:right}
td:first-child,th:first-child{text-align:left}tr:nth-child(even){background:#f4f4f4}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.5rem}
.figure{border:1px solid #ddd;border-radius:.4rem;padding:.5rem}.figure b{display:block;font-size:1.4rem}
.groups{display:flex;flex-wrap:wrap;gap:2rem}svg text{font-size:10px;fill:#444}
"""

_COLOURS = {"below": "#d9534f", "met": "#5b9bd5", "exceeded": "#5cb85c"}


def render_html(stats: Stats, *, business: str = "", labels: Mapping[str, str] = DEFAULT_REASONS) -> str:
    """One file, no scripts, no external resources: charts are inline SVG."""
    title = _title(stats, business)
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1><p>Times in {esc(stats.timezone)}. Suspect bursts of kiosk taps are left out.</p>",
        '<div class="figures">',
        *(f'<div class="figure">{esc(label)}<b>{esc(value)}</b></div>' for label, value in headline(stats)),
        "</div>",
        "<h2>Answers by hour</h2>",
        hour_chart_svg(stats.answers_by_hour),
    ]
    if len(stats.answers_by_day) > 1:
        parts += ["<h2>Answers by day</h2>", day_chart_svg(stats.answers_by_day)]
    parts += [
        "<h2>Fell short by reason</h2>",
        _table(["Reason", "Fell short"], list(reasons_by_label(stats, labels).items())),
    ]
    parts.append('<div class="groups">')
    for title_, groups in breakdowns(stats):
        parts += [
            f"<div><h2>By {esc(title_.lower())}</h2>",
            _table([title_, "Answers", "Fell short", "Met or exceeded"], group_rows(groups)),
            "</div>",
        ]
    parts.append("</div>")
    if stats.shoutouts:
        parts += ["<h2>Shout-outs</h2>", _table(["Name", "Count"], shoutout_rows(stats))]
    parts += loop_report.html_sections(stats.perception, stats.recovery, labels, _zone(stats))
    parts += report_trends.html_parts(stats, labels)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _table(header: list[str], rows: list[tuple[object, ...]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body or '<tr><td>(none)</td></tr>'}</tbody></table>"


def hour_chart_svg(counts: tuple[int, ...]) -> str:
    """24 bars, one per local hour, labelled every third hour."""
    width, height, bar = 720, 160, 30
    peak = max(counts) or 1
    bars = []
    for hour, count in enumerate(counts):
        h = round(count / peak * (height - 30))
        x = hour * bar
        bars.append(
            f'<rect x="{x + 3}" y="{height - 15 - h}" width="{bar - 6}" height="{h}" fill="#5b9bd5">'
            f"<title>{hour:02d}:00 – {count} answers</title></rect>"
        )
        if hour % 3 == 0:
            bars.append(f'<text x="{x + 3}" y="{height - 2}">{hour:02d}h</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="answers by hour">{"".join(bars)}</svg>'
    )


def day_chart_svg(days: dict[date, OutcomeCounts]) -> str:
    """Stacked bars per day: fell short, met, exceeded."""
    height = 180
    step = max(4, min(40, 720 // max(len(days), 1)))
    width = step * len(days)
    peak = max(counts.answers for counts in days.values()) or 1
    shapes = []
    for index, (day, counts) in enumerate(days.items()):
        x, top = index * step, height - 15
        for outcome in ("below", "met", "exceeded"):
            value = getattr(counts, outcome)
            h = value / peak * (height - 30)
            top -= h
            shapes.append(
                f'<rect x="{x + 1}" y="{top:.1f}" width="{step - 2}" height="{h:.1f}" fill="{_COLOURS[outcome]}">'
                f"<title>{day.isoformat()}: {value} {outcome}</title></rect>"
            )
        if index % max(1, len(days) // 8) == 0:
            shapes.append(f'<text x="{x}" y="{height - 2}">{day:%d %b}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="answers by day">{"".join(shapes)}</svg>'
    )
