"""The report's two "close the loop" sections: the perception gap and the recovery rate as customers said it.

:func:`gather_loop` reads the paired staff views and the check-backs of the period, never the
ratings (a pair keeps the customer's reasons); the rest are pure renderers that
:mod:`manager.report`, :mod:`manager.report_json` and the statistics screen call, one section each.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from manager.words import percent, resolution_words
from shared.check_backs import Recovery, RecoveryRow, recovery
from shared.door import CheckBacksDoor, InteractionsDoor
from shared.perception import SMALL_SAMPLE, Gap, Perception, Share, perception
from shared.ratings import Outcome
from shared.reasons import reason_label
from shared.text import printable

OUTCOMES = (Outcome.EXCEEDED, Outcome.MET, Outcome.BELOW)
_COLOURS = {Outcome.BELOW: "#d9534f", Outcome.MET: "#5b9bd5", Outcome.EXCEEDED: "#5cb85c"}
_WORDS = {Outcome.BELOW: "fell short", Outcome.MET: "met", Outcome.EXCEEDED: "exceeded"}


def gather_loop(store: object, *, since: date, until: date, zone: tzinfo) -> tuple[Perception | None, Recovery | None]:
    """Both sections for the local days [since, until], counted by the store as it reads; None from a
    store that does not keep them (a console on another machine reads its server's report)."""
    if not (isinstance(store, InteractionsDoor) and isinstance(store, CheckBacksDoor)):
        return None, None

    start = datetime.combine(since, time(0), zone)
    end = datetime.combine(until + timedelta(days=1), time(0), zone)
    return perception(store.pair_tally(start, end)), recovery(store.check_back_tally(start, end))


# -- words ---------------------------------------------------------------------------------


def share_words(share: Share) -> str:
    """ "67 % (8 of 12, 39–86 %)": the share, its count and its 95 % interval."""
    interval = share.interval
    if interval is None:
        return "–"
    low, high = interval
    return f"{percent(share.value)} ({share.count} of {share.total}, {low * 100:.0f}–{high * 100:.0f} %)"


def pairs_words(gap: Gap) -> str:
    return f"{gap.pairs} pair{'s' if gap.pairs != 1 else ''}{' (small sample)' if gap.small else ''}"


def groups(found: Perception) -> list[tuple[str, Gap]]:
    """(label, gap): overall first, then each member of staff, then each station."""
    rows = [("Overall", found.overall)]
    rows += [(f"Staff: {printable(name) or '(none)'}", gap) for name, gap in found.by_staff.items()]
    rows += [(f"Station: {printable(name) or '(none)'}", gap) for name, gap in found.by_station.items()]
    return rows


def surprise_lines(found: Perception, labels: Mapping[str, str], zone: tzinfo) -> list[str]:
    lines = []
    for pair in found.surprises:
        where = ", ".join(printable(part) for part in (pair.station, pair.staff) if part) or "(no station)"
        reasons = ", ".join(printable(reason_label(key, labels)) for key in pair.reasons) or "no reason given"
        when = f"{pair.rating_ts.astimezone(zone):%d %b %H:%M}"
        lines.append(f"{when} {where}: staff said {pair.view}; {reasons}")
    return lines


def recovery_rows(found: Recovery) -> list[tuple[str, int, int, str]]:
    """(outcome code in words, asked, answered, made right as the customers said)."""
    rows = [(resolution_words(code), *_row(row)) for code, row in found.by_resolution.items()]  # type: ignore[arg-type]
    return [*rows, ("all", *_row(found.overall))]


def _row(row: RecoveryRow) -> tuple[int, int, str]:
    return row.asked, row.answered, share_words(row.made_right)


# -- text ----------------------------------------------------------------------------------


def text_lines(found: Perception | None, checks: Recovery | None, labels: Mapping[str, str], zone: tzinfo) -> list[str]:
    """The plain-text sections (none when the store does not keep them)."""
    lines: list[str] = []
    if found is not None:
        lines += [
            "",
            "Perception gap: how staff thought it went, beside the customer's answer on the same interactions",
        ]
        if not found.overall.pairs:
            lines.append("  (no staff views paired with an answer)")
        for label, gap in groups(found) if found.overall.pairs else []:
            lines.append(f"  {label}: {pairs_words(gap)}, agreed {share_words(gap.agreement)}")
            for outcome in OUTCOMES:
                lines.append(
                    f"    {_WORDS[outcome]:<11} staff {share_words(gap.staff[outcome]):<26} "
                    f"customers {share_words(gap.customers[outcome])}"
                )
        if found.surprises:
            lines += ["", "Staff thought it went well, the customer said we fell short"]
            lines += [f"  {line}" for line in surprise_lines(found, labels, zone)]
    if checks is not None:
        lines += ["", f"{'Did we make it right? (by outcome code)':<40} {'asked':>6} {'answered':>9}  made right"]
        lines += [
            f"  {code:<38} {asked:>6} {answered:>9}  {right}" for code, asked, answered, right in recovery_rows(checks)
        ]
    return lines


# -- the console's statistics screen ---------------------------------------------------------


def compact_share(share: Share) -> str:
    """ "44 % 4/9 19–73": the console's narrow cell for a share, its count and its 95 % interval."""
    interval = share.interval
    if interval is None:
        return "–"
    return f"{percent(share.value)} {share.count}/{share.total} {interval[0] * 100:.0f}–{interval[1] * 100:.0f}"


def _columns(*, header: bool) -> Table:
    """Fixed widths, so the tables of every group line up under one header (80 columns are enough)."""
    table = Table(box=None, padding=(0, 1), show_header=header, header_style="bold")
    table.add_column("", width=11, no_wrap=True)
    for outcome in OUTCOMES:
        table.add_column(_WORDS[outcome], width=16, justify="right", no_wrap=True, overflow="ellipsis")
    return table


def console_view(found: Perception | None, checks: Recovery | None) -> Group | None:
    """The gap and the recovery rate for the statistics screen, or None when there is nothing to show yet.

    Each group's name is a line of its own (names are text, never markup), its two rows below it.
    """
    parts: list[Text | Table] = []
    if found is not None and found.overall.pairs:
        parts += [Text("Perception gap: staff's view beside the customer's answer (95 % interval)", style="bold")]
        parts.append(_columns(header=True))
        for label, gap in groups(found):
            parts.append(Text(f"{label}: {pairs_words(gap)}, agreed {compact_share(gap.agreement)}", no_wrap=True))
            table = _columns(header=False)
            table.add_row("  staff", *(compact_share(gap.staff[outcome]) for outcome in OUTCOMES))
            table.add_row("  customers", *(compact_share(gap.customers[outcome]) for outcome in OUTCOMES))
            parts.append(table)
    if checks is not None and checks.overall.asked:
        parts.append(Text("Did we make it right? (as customers said, by outcome code)", style="bold"))
        back = Table(box=None, padding=(0, 1), header_style="bold")
        back.add_column("outcome code", width=16, no_wrap=True)
        for header in ("asked", "answered", "made right"):
            back.add_column(header, justify="right", no_wrap=True)
        for code, asked, answered, _ in recovery_rows(checks):
            row = checks.overall if code == "all" else checks.by_resolution[code.replace(" ", "_")]
            back.add_row(Text(code), str(asked), str(answered), compact_share(row.made_right))
        parts.append(back)
    return Group(*parts) if parts else None


# -- CSV -----------------------------------------------------------------------------------


def csv_rows(found: Perception | None, checks: Recovery | None) -> Iterator[list[str | int]]:
    """Long format rows (section, name, measure, value), as the rest of the CSV report."""
    if found is not None:
        named = [("perception_overall", "", found.overall)]
        named += [("perception_staff", name, gap) for name, gap in found.by_staff.items()]
        named += [("perception_station", name, gap) for name, gap in found.by_station.items()]
        for section, name, gap in named:
            yield [section, name, "pairs", gap.pairs]
            yield [section, name, "small_sample", int(gap.small)]
            yield from _share_rows(section, name, "agreement", gap.agreement)
            for outcome in Outcome:
                yield from _share_rows(section, name, f"staff_{outcome}", gap.staff[outcome])
                yield from _share_rows(section, name, f"customers_{outcome}", gap.customers[outcome])
        for pair in found.surprises:
            for measure, value in (
                ("time", pair.rating_ts.isoformat()),
                ("station", pair.station),
                ("staff", pair.staff),
                ("staff_view", str(pair.view)),
                ("reasons", ";".join(pair.reasons)),
            ):
                yield ["perception_surprise", pair.rating_id, measure, value]
    if checks is not None:
        for code, row in [*checks.by_resolution.items(), ("all", checks.overall)]:
            yield ["recovery", code, "asked", row.asked]
            yield ["recovery", code, "answered", row.answered]
            yield from _share_rows("recovery", code, "made_right", row.made_right)


def _share_rows(section: str, name: str, measure: str, share: Share) -> Iterator[list[str | int]]:
    interval = share.interval
    yield [section, name, measure, share.count]
    yield [section, name, f"{measure}_share", "" if share.value is None else f"{share.value:.4f}"]
    yield [section, name, f"{measure}_low", "" if interval is None else f"{interval[0]:.4f}"]
    yield [section, name, f"{measure}_high", "" if interval is None else f"{interval[1]:.4f}"]


# -- JSON ----------------------------------------------------------------------------------


def share_document(share: Share) -> dict[str, Any]:
    interval = share.interval
    return {
        "share": share.value,
        "count": share.count,
        "of": share.total,
        "low": None if interval is None else interval[0],
        "high": None if interval is None else interval[1],
    }


def gap_document(gap: Gap) -> dict[str, Any]:
    return {
        "pairs": gap.pairs,
        "small_sample": gap.small,
        "staff": {str(outcome): share_document(gap.staff[outcome]) for outcome in Outcome},
        "customers": {str(outcome): share_document(gap.customers[outcome]) for outcome in Outcome},
        "agreement": share_document(gap.agreement),
    }


def perception_document(found: Perception | None, labels: Mapping[str, str]) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "small_sample_below": SMALL_SAMPLE,
        "overall": gap_document(found.overall),
        "by_staff": [{"name": name, **gap_document(gap)} for name, gap in found.by_staff.items()],
        "by_station": [{"name": name, **gap_document(gap)} for name, gap in found.by_station.items()],
        "surprises": [
            {
                "rating_id": s.rating_id,
                "time": s.rating_ts.isoformat(),
                "channel": str(s.channel),
                "station": s.station,
                "staff": s.staff,
                "touchpoint": s.touchpoint,
                "staff_view": str(s.view),
                "reasons": [{"key": key, "label": reason_label(key, labels)} for key in s.reasons],
            }
            for s in found.surprises
        ],
    }


def recovery_document(checks: Recovery | None) -> dict[str, Any] | None:
    if checks is None:
        return None

    def row(found: RecoveryRow) -> dict[str, Any]:
        return {"asked": found.asked, "answered": found.answered, "made_right": share_document(found.made_right)}

    return {
        "overall": row(checks.overall),
        "by_resolution": [{"resolution": code, **row(found)} for code, found in checks.by_resolution.items()],
    }


# -- HTML ----------------------------------------------------------------------------------


def html_sections(
    found: Perception | None, checks: Recovery | None, labels: Mapping[str, str], zone: tzinfo
) -> list[str]:
    """Headings, the gap chart (inline SVG) and tables; every name escaped."""
    esc = html.escape
    parts: list[str] = []
    if found is not None:
        parts += [
            "<h2>Perception gap</h2>",
            "<p>How staff thought each interaction went, beside what the customer answered on the same "
            "interactions. Shares with their 95 % interval; fewer than "
            f"{SMALL_SAMPLE} pairs is a small sample.</p>",
        ]
        if found.overall.pairs:
            parts.append(gap_chart_svg(groups(found)))
            head = "".join(
                f"<th>{esc(who)} {esc(_WORDS[outcome])}</th>" for who in ("Staff", "Customers") for outcome in OUTCOMES
            )
            rows = []
            for label, gap in groups(found):
                cells = [esc(label), esc(pairs_words(gap)), esc(share_words(gap.agreement))]
                cells += [esc(share_words(gap.staff[outcome])) for outcome in OUTCOMES]
                cells += [esc(share_words(gap.customers[outcome])) for outcome in OUTCOMES]
                rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
            parts.append(
                f"<table><thead><tr><th></th><th>Pairs</th><th>Agreed</th>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>"
            )
        else:
            parts.append("<p>(no staff views paired with an answer)</p>")
        if found.surprises:
            parts += ["<h2>Staff thought it went well, the customer said we fell short</h2>", "<ul>"]
            parts += [f"<li>{esc(line)}</li>" for line in surprise_lines(found, labels, zone)]
            parts.append("</ul>")
    if checks is not None:
        parts.append("<h2>Did we make it right? (by outcome code)</h2>")
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in row) + "</tr>" for row in recovery_rows(checks)
        )
        parts.append(
            "<table><thead><tr><th>Outcome code</th><th>Asked</th><th>Answered</th><th>Made right</th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )
    return parts


def gap_chart_svg(rows: list[tuple[str, Gap]]) -> str:
    """Two stacked bars per group: what staff said, what customers said (exceeded, met, fell short)."""
    label_width, bar_width, bar_height, gap_between = 200, 480, 16, 14
    height = len(rows) * (2 * bar_height + gap_between) + 24
    shapes = []
    y = 4
    for label, gap in rows:
        name = label if len(label) <= 24 else label[:23] + "…"
        shown = f"{name} ({gap.pairs}{', small' if gap.small else ''})"
        shapes.append(f'<text x="0" y="{y + bar_height + 4}">{html.escape(shown)}</text>')
        for who, shares in (("staff", gap.staff), ("customers", gap.customers)):
            x = float(label_width)
            shapes.append(f'<text x="{label_width - 60}" y="{y + 12}">{who}</text>')
            for outcome in OUTCOMES:
                value = shares[outcome].value or 0.0
                width = value * bar_width
                shapes.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{bar_height - 2}" '
                    f'fill="{_COLOURS[outcome]}"><title>{who}: {percent(value)} {_WORDS[outcome]}</title></rect>'
                )
                if value >= 0.08:
                    shapes.append(f'<text x="{x + 3:.1f}" y="{y + 11}" style="fill:#fff">{percent(value)}</text>')
                x += width
            y += bar_height
        y += gap_between
    legend_x = label_width
    for outcome in OUTCOMES:
        shapes.append(f'<rect x="{legend_x}" y="{y}" width="10" height="10" fill="{_COLOURS[outcome]}"/>')
        shapes.append(f'<text x="{legend_x + 14}" y="{y + 9}">{_WORDS[outcome]}</text>')
        legend_x += 90
    width = label_width + bar_width + 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="perception gap">{"".join(shapes)}</svg>'
    )
