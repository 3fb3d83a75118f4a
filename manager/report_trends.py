"""The report's trend sections: day by day, week by week, the period before, and what customers wrote.

:func:`with_trends` adds the series to a :class:`shared.stats.Stats` from what :func:`manager.report.gather`
read anyway (the hourly summaries and the follow-ups); the renderers are pure and each report format
calls one of them: :func:`text_lines`, :func:`csv_rows`, :func:`html_parts`, :func:`json_sections`.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text

from manager.words import percent
from shared.followups import FollowUpKind
from shared.reasons import DEFAULT_REASONS, reason_label
from shared.stats import Stats, Summaries
from shared.text import printable
from shared.trends import Change, Comparison, Span, Trends, compare, compute_trends
from shared.words_count import Frequent
from shared.written import DEFAULT_LIMIT, Filter, Writings, Written, gather_writings

DAYS_IN_TEXT = 31  # a longer period shows weeks only in the text report (every format has them all)
TEST_NAME = "two-proportion z-test (pooled), p < 0.05"


@dataclass(frozen=True, slots=True)
class TrendOptions:
    """What the trend sections hold: the period before compared or not, which writings are listed."""

    compare: bool = False
    only: Filter = field(default_factory=Filter)
    limit: int = DEFAULT_LIMIT


def add_trend_arguments(report: argparse.ArgumentParser) -> None:
    """``feedback report``'s options for the trend sections."""
    report.add_argument(
        "--compare",
        choices=["previous"],
        help="compare with the period of the same length just before; flags changes unlikely to be noise",
    )
    wrote = report.add_argument_group("what customers wrote (only this list is filtered)")
    wrote.add_argument("--wrote-station", metavar="NAME", help="only what was written about this station")
    wrote.add_argument("--wrote-reason", metavar="KEY", help="only follow-ups with this reason key")
    wrote.add_argument(
        "--wrote-outcome",
        choices=[str(kind) for kind in FollowUpKind],
        help="fell_short: comments on answers that fell short; to_read: texts that were no answer",
    )


def trend_options(args: argparse.Namespace) -> TrendOptions:
    only = Filter(
        station=args.wrote_station,
        reason=args.wrote_reason,
        kind=FollowUpKind(args.wrote_outcome) if args.wrote_outcome else None,
    )
    return TrendOptions(compare=args.compare == "previous", only=only)


def with_trends(
    stats: Stats,
    summaries: Summaries,
    records: Iterable[Mapping[str, Any]],
    options: TrendOptions,
    *,
    zone: tzinfo,
    previous: Stats | None = None,
) -> Stats:
    """``stats`` with its trends, writings and (given the period before) comparison."""
    period = {"since": stats.since, "until": stats.until, "zone": zone}
    return dataclasses.replace(
        stats,
        trends=compute_trends(summaries, **period),
        writings=gather_writings(records, only=options.only, limit=options.limit, **period),
        comparison=None if previous is None else compare(stats, previous, since=previous.since, until=previous.until),
    )


def interval_words(interval: tuple[float, float] | None) -> str:
    """``12–31 %``: a 95 % interval as a reader takes it in; "–" when there is nothing to count."""
    if interval is None:
        return "–"
    low, high = interval
    return f"{low * 100:.0f}–{high * 100:.0f} %"


def span_label(span: Span) -> str:
    if span.since == span.until:
        return f"{span.since:%a %d %b}"
    return f"{span.name} ({span.since:%d %b}–{span.until:%d %b})"


def change_words(change: int | None) -> str:
    return "" if change is None else f"{change:+d}"


def comparison_line(change: Change, labels: Mapping[str, str]) -> str:
    """``station front: fell short 10 % → 25 % (2 of 20 → 5 of 20), p = 0.012``."""
    name = reason_label(change.name, labels) if change.subject == "reason" else change.name or "(none)"
    who = printable(f"{change.subject} {name}" if change.subject != "total" else "all answers")
    measure = "fell short for this reason" if change.subject == "reason" else "fell short"
    p = "–" if change.p_value is None else f"{change.p_value:.3f}"
    return (
        f"{who}: {measure} {percent(change.before)} → {percent(change.after)} "
        f"({change.before_part} of {change.before_whole} → {change.after_part} of {change.after_whole}), p = {p}"
    )


def writing_line(written: Written, zone: tzinfo) -> list[str]:
    """When, where, outcome, reference, and the words (one line, no control character)."""
    kind = "fell short" if written.kind is FollowUpKind.FELL_SHORT else "to read"
    source = "" if written.source == "comment" else " (later)"
    return [
        f"{written.at.astimezone(zone):%d %b %H:%M}",
        printable(written.station) or "–",
        kind + source,
        written.ref,
        printable(written.text),
    ]


def frequent_words(frequent: Frequent) -> str:
    words = ", ".join(f"{printable(word)} {count}" for word, count in frequent.words) or "(none)"
    phrases = ", ".join(f"{printable(phrase)} {count}" for phrase, count in frequent.phrases)
    return words + (f"; phrases: {phrases}" if phrases else "")


# -- text ----------------------------------------------------------------------------


def _span_rows(spans: Sequence[Span]) -> list[str]:
    return [
        f"  {span_label(span):<30} {span.counts.answers:>7} {span.counts.below:>6} {percent(span.below_share):>6} "
        f"{interval_words(span.below_interval):>10} {percent(span.counts.met_or_exceeded_share):>6}"
        for span in spans
    ]


def _span_header(title: str) -> str:
    return f"{title:<32} {'answers':>7} {'short':>6} {'short%':>6} {'95 % int.':>10} {'met+':>6}"


def text_lines(stats: Stats, labels: Mapping[str, str] = DEFAULT_REASONS) -> list[str]:
    """The trend sections of the text report (nothing when trends were not computed)."""
    lines: list[str] = []
    if (trends := stats.trends) is not None:
        lines += ["", _span_header("Week by week")] + (_span_rows(trends.weeks) or ["  (no answers)"])
        if (stats.until - stats.since).days < DAYS_IN_TEXT:
            lines += ["", _span_header("Day by day")] + (_span_rows(trends.days) or ["  (no answers)"])
        for kind, title in (("station", "Station"), ("staff", "Staff"), ("channel", "Channel")):
            for name in getattr(stats, f"by_{kind}"):  # where to look first comes first
                lines += ["", _span_header(f"{title} {printable(name) or '(none)'}, week by week")]
                lines += _span_rows(trends.group_weeks[kind].get(name, ()))
        if trends.reason_weeks:
            lines += ["", "Fell short by reason, week by week (change against the week before)"]
            for key, weeks in trends.reason_weeks.items():
                counts = "  ".join(f"{span.count}{_paren(change_words(span.change))}" for span in weeks)
                lines.append(f"  {printable(reason_label(key, labels)):<24} {counts}")
    if (comparison := stats.comparison) is not None:
        lines += [
            "",
            f"Against the period before ({comparison.since:%d %b %Y} – {comparison.until:%d %b %Y}; "
            f"flagged: {TEST_NAME})",
        ]
        total = next(change for change in comparison.changes if change.subject == "total")
        shown = [total, *(change for change in comparison.notable if change is not total)]
        lines += [f"  {'!' if change.notable else ' '} {comparison_line(change, labels)}" for change in shown]
        if not comparison.notable:
            lines.append("  no change unlikely to be noise")
    if (writings := stats.writings) is not None:
        lines += ["", f"What customers wrote (newest first, {len(writings.items)} of {writings.total})"]
        lines += [f"  {'  '.join(writing_line(item, stats_zone(stats)))}" for item in writings.items] or ["  (none)"]
        lines += ["", f"Frequent words in fell-short comments ({writings.frequent.comments} comments)"]
        lines.append(f"  {frequent_words(writings.frequent)}")
        lines += [f"  {week}: {frequent_words(frequent)}" for week, frequent in writings.frequent_by_week.items()]
    return lines


def _paren(text: str) -> str:
    return f" ({text})" if text else ""


def stats_zone(stats: Stats) -> tzinfo:
    return ZoneInfo(stats.timezone)


def wrote_table(stats: Stats, only: Filter = Filter(), labels: Mapping[str, str] = DEFAULT_REASONS) -> Table:  # noqa: B008
    """What customers wrote, newest first, for the console (each cell a :class:`rich.text.Text`: never markup)."""
    title = "What customers wrote" + (f" ({shown})" if (shown := only.describe(labels)) else "") + " · w: filter"
    if stats.writings is not None and stats.writings.total > len(stats.writings.items):
        title += f" (newest {len(stats.writings.items)} of {stats.writings.total}; the report lists more)"
    table = Table(title=Text(title), title_justify="left", title_style="bold", box=None, padding=(0, 1), expand=True)
    for header in ("when", "station", "outcome", "ref"):
        table.add_column(header, no_wrap=True)
    table.add_column("words", ratio=1, overflow="fold")
    for item in stats.writings.items if stats.writings is not None else ():
        table.add_row(*(Text(cell) for cell in writing_line(item, stats_zone(stats))))
    if not table.row_count:
        table.add_row("(nothing written in this period)", "", "", "", "")
    return table


# -- CSV -----------------------------------------------------------------------------


def _span_csv(section: str, name: str, span: Span, prefix: str = "") -> Iterator[list[str | int]]:
    low_high = span.below_interval
    for measure, value in (
        ("answers", span.counts.answers),
        ("below", span.counts.below),
        ("met", span.counts.met),
        ("exceeded", span.counts.exceeded),
        ("below_share", _ratio(span.below_share)),
        ("below_low", _ratio(low_high[0] if low_high else None)),
        ("below_high", _ratio(low_high[1] if low_high else None)),
    ):
        yield [section, name, prefix + measure, value]


def csv_rows(stats: Stats, labels: Mapping[str, str] = DEFAULT_REASONS) -> Iterator[list[str | int]]:
    """Long-format rows (section, name, measure, value) of the trend sections.

    ``week``: name is the ISO week; ``station_day``, ``staff_week`` and so on: name is the group,
    measure ``<day or week> <measure>``; ``reason_week``: name is the reason's label.
    """
    if (trends := stats.trends) is not None:
        for span in trends.weeks:
            yield from _span_csv("week", span.name, span)
        for kind in ("station", "staff", "channel"):
            for series, unit in ((trends.group_days, "day"), (trends.group_weeks, "week")):
                for name, spans in series[kind].items():
                    for span in spans:
                        yield from _span_csv(f"{kind}_{unit}", name, span, f"{span.name} ")
        for key, weeks in trends.reason_weeks.items():
            for span in weeks:
                label = printable(reason_label(key, labels))
                yield ["reason_week", label, f"{span.since.isoformat()} below", span.count]
                yield ["reason_week", label, f"{span.since.isoformat()} change", _int(span.change)]
    if (comparison := stats.comparison) is not None:
        for change in comparison.changes:
            name = f"{change.subject} {change.name}".strip()
            yield ["comparison", name, "below_share_before", _ratio(change.before)]
            yield ["comparison", name, "below_share_after", _ratio(change.after)]
            yield ["comparison", name, "p_value", _ratio(change.p_value)]
            yield ["comparison", name, "notable", "yes" if change.notable else "no"]
    if (writings := stats.writings) is not None:
        for item in writings.items:
            yield ["wrote", item.ref, f"{item.at.isoformat()} {item.kind} {item.source}", item.text]
        for word, count in writings.frequent.words:
            yield ["frequent_word", word, "count", count]
        for phrase, count in writings.frequent.phrases:
            yield ["frequent_phrase", phrase, "count", count]


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _int(value: int | None) -> str | int:
    return "" if value is None else value


# -- HTML ----------------------------------------------------------------------------


def html_parts(stats: Stats, labels: Mapping[str, str] = DEFAULT_REASONS) -> list[str]:
    """Sections of the HTML report, every name escaped; a chart of the weekly fell-short share with its interval."""
    esc = html.escape
    parts: list[str] = []
    if (trends := stats.trends) is not None and trends.weeks:
        parts += ["<h2>Fell short, week by week (95 % interval)</h2>", share_chart_svg(trends.weeks)]
        parts += ["<h2>Week by week</h2>", _span_table(trends.weeks)]
        parts.append('<div class="groups">')
        for kind, title in (("station", "Station"), ("staff", "Staff"), ("channel", "Channel")):
            rows = [
                (
                    name or "(none)",
                    span.name,
                    span.counts.answers,
                    span.counts.below,
                    percent(span.below_share),
                    interval_words(span.below_interval),
                )
                for name, weeks in trends.group_weeks[kind].items()
                for span in weeks
            ]
            header = [title, "Week", "Answers", "Fell short", "Share", "95 %"]
            parts += [f"<div><h2>{esc(title)} week by week</h2>", _table(header, rows), "</div>"]
        parts.append("</div>")
        rows = [
            (reason_label(key, labels), span.since.isoformat(), span.count, change_words(span.change))
            for key, weeks in trends.reason_weeks.items()
            for span in weeks
            if span.count or span.change
        ]
        parts += [
            "<h2>Fell short by reason, week by week</h2>",
            _table(["Reason", "Week of", "Fell short", "Change"], rows),
        ]
    if (comparison := stats.comparison) is not None:
        parts.append(
            f"<h2>Against the period before ({comparison.since:%d %b %Y} – {comparison.until:%d %b %Y})</h2>"
            f"<p>Flagged (!) when a {esc(TEST_NAME)} says the change is unlikely to be noise.</p>"
        )
        rows = [("!" if change.notable else "", comparison_line(change, labels)) for change in comparison.changes]
        parts.append(_table(["", "Change"], rows))
    if (writings := stats.writings) is not None:
        zone = stats_zone(stats)
        parts.append(f"<h2>What customers wrote (newest first, {len(writings.items)} of {writings.total})</h2>")
        header = ["When", "Station", "Outcome", "Ref", "Words"]
        parts.append(_table(header, [tuple(writing_line(item, zone)) for item in writings.items]))
        parts.append(f"<h2>Frequent words in fell-short comments</h2><p>{esc(frequent_words(writings.frequent))}</p>")
    return parts


def _span_table(spans: Sequence[Span]) -> str:
    rows = [
        (
            span_label(span),
            span.counts.answers,
            span.counts.below,
            percent(span.below_share),
            interval_words(span.below_interval),
            percent(span.counts.met_or_exceeded_share),
        )
        for span in spans
    ]
    return _table(["Week", "Answers", "Fell short", "Share", "95 %", "Met or exceeded"], rows)


def _table(header: list[str], rows: list[tuple[object, ...]]) -> str:
    from manager.report import _table as table  # one table writer for the whole report

    return table(header, [tuple(printable(str(cell)) for cell in row) for row in rows])


def share_chart_svg(spans: Sequence[Span]) -> str:
    """The fell-short share per week as a dot on a bar of its 95 % interval: a wide bar is a quiet week."""
    height, top, bottom = 180, 10, 20
    step = max(6, min(48, 720 // max(len(spans), 1)))
    width = step * len(spans) + 30
    peak = max((span.below_interval or (0, 0))[1] for span in spans) or 1

    def y(value: float) -> float:
        return top + (1 - value / peak) * (height - top - bottom)

    shapes = [f'<text x="0" y="{y(peak) + 8:.1f}">{peak * 100:.0f}%</text>', f'<text x="0" y="{y(0):.1f}">0%</text>']
    for index, span in enumerate(spans):
        x = 30 + index * step + step / 2
        if span.below_interval is None or span.below_share is None:
            continue
        low, high = span.below_interval
        tip = f"{span.name}: {percent(span.below_share)} fell short ({interval_words(span.below_interval)})"
        shapes.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y(low):.1f}" y2="{y(high):.1f}" stroke="#d9534f" '
            f'stroke-opacity=".4" stroke-width="{max(2, step // 3)}"><title>{html.escape(tip)}</title></line>'
            f'<circle cx="{x:.1f}" cy="{y(span.below_share):.1f}" r="3" fill="#d9534f"></circle>'
        )
        if index % max(1, len(spans) // 8) == 0:
            shapes.append(f'<text x="{x - 12:.1f}" y="{height - 4}">{span.since:%d %b}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="fell-short share by week">{"".join(shapes)}</svg>'
    )


# -- JSON ----------------------------------------------------------------------------


def span_document(span: Span, key: str = "date") -> dict[str, Any]:
    """A day (``date``) or a week (``week``, ``since``, ``until``) with its counts, shares and 95 % intervals."""
    head: dict[str, Any] = (
        {"date": span.since.isoformat()}
        if key == "date"
        else {"week": span.name, "since": span.since.isoformat(), "until": span.until.isoformat()}
    )
    counts = span.counts
    return {
        **head,
        "answers": counts.answers,
        "below": counts.below,
        "met": counts.met,
        "exceeded": counts.exceeded,
        "met_or_exceeded_share": counts.met_or_exceeded_share,
        "met_or_exceeded_interval": _pair(span.met_or_exceeded_interval),
        "below_share": span.below_share,
        "below_interval": _pair(span.below_interval),
    }


def _pair(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else [interval[0], interval[1]]


def json_days(stats: Stats) -> list[dict[str, Any]]:
    """``days``: from the trends when computed (with intervals), else the plain day counts."""
    if stats.trends is not None:
        return [span_document(span) for span in stats.trends.days]
    return [span_document(Span(day, day, counts)) for day, counts in stats.answers_by_day.items()]


def json_sections(stats: Stats, labels: Mapping[str, str] = DEFAULT_REASONS) -> dict[str, Any]:
    """``weeks``, ``trends``, ``comparison`` and ``wrote`` (``null`` when not computed)."""
    trends = stats.trends
    return {
        "weeks": None if trends is None else [span_document(span, "week") for span in trends.weeks],
        "trends": None if trends is None else _trend_document(trends, labels),
        "comparison": None if stats.comparison is None else _comparison_document(stats.comparison, labels),
        "wrote": None if stats.writings is None else _writings_document(stats.writings),
    }


def _trend_document(trends: Trends, labels: Mapping[str, str]) -> dict[str, Any]:
    groups = {
        plural: [
            {
                "name": name,
                "days": [span_document(span) for span in trends.group_days[kind][name]],
                "weeks": [span_document(span, "week") for span in weeks],
            }
            for name, weeks in trends.group_weeks[kind].items()
        ]
        for kind, plural in (("station", "stations"), ("staff", "staff"), ("channel", "channels"))
    }
    reasons = [
        {
            "key": key,
            "label": reason_label(key, labels),
            "days": [
                {"date": span.since.isoformat(), "below": span.count, "change": span.change}
                for span in trends.reason_days[key]
            ],
            "weeks": [{"since": span.since.isoformat(), "below": span.count, "change": span.change} for span in weeks],
        }
        for key, weeks in trends.reason_weeks.items()
    ]
    return {**groups, "reasons": reasons}


def _comparison_document(comparison: Comparison, labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "previous": {"since": comparison.since.isoformat(), "until": comparison.until.isoformat()},
        "test": TEST_NAME,
        "changes": [
            {
                "subject": change.subject,
                "name": change.name,
                "label": reason_label(change.name, labels) if change.subject == "reason" else change.name,
                "measure": change.measure,
                "before": change.before,
                "before_count": change.before_part,
                "before_answers": change.before_whole,
                "after": change.after,
                "after_count": change.after_part,
                "after_answers": change.after_whole,
                "p_value": change.p_value,
                "notable": change.notable,
            }
            for change in comparison.changes
        ],
    }


def _frequent_document(frequent: Frequent) -> dict[str, Any]:
    return {
        "comments": frequent.comments,
        "words": [{"term": word, "count": count} for word, count in frequent.words],
        "phrases": [{"term": phrase, "count": count} for phrase, count in frequent.phrases],
    }


def _writings_document(writings: Writings) -> dict[str, Any]:
    return {
        "total": writings.total,
        "items": [
            {
                "at": item.at.isoformat(),
                "ref": item.ref,
                "kind": str(item.kind),
                "source": str(item.source),
                "channel": item.channel,
                "station": item.station,
                "staff": item.staff,
                "reasons": list(item.reasons),
                "text": item.text,
            }
            for item in writings.items
        ],
        "frequent": _frequent_document(writings.frequent),
        "frequent_by_week": [
            {"week": week, **_frequent_document(frequent)} for week, frequent in writings.frequent_by_week.items()
        ],
    }
