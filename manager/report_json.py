"""The report as JSON (``feedback report --format json``): stable keys for other tools to read.

The schema is documented in the README ("The JSON report"). Keys are only ever added, never
renamed or removed within a ``schema`` version; shares are fractions (0–1) or ``null`` when there
is nothing to divide, durations are whole seconds or ``null``. Names (stations, staff, reasons)
are data, never keys, so an empty or odd name cannot collide with the schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from manager.loop_report import perception_document, recovery_document
from manager.report_trends import json_days, json_sections
from shared.reasons import DEFAULT_REASONS, reason_label
from shared.stats import OutcomeCounts, Stats

SCHEMA = 1


def report_document(stats: Stats, *, business: str = "", labels: Mapping[str, str] = DEFAULT_REASONS) -> dict[str, Any]:
    """The whole report as plain JSON types, in the order a reader meets the sections."""
    return {
        "schema": SCHEMA,
        "business": business,
        "period": {"since": stats.since.isoformat(), "until": stats.until.isoformat(), "timezone": stats.timezone},
        "totals": _totals(stats),
        "channels": _groups(stats.by_channel),
        "stations": _groups(stats.by_station),
        "staff": _groups(stats.by_staff),
        "reasons": _reasons(stats, labels),
        "shoutouts": [{"name": name, "count": count} for name, count in stats.shoutouts.items()],
        "hours": [{"hour": hour, "answers": count} for hour, count in enumerate(stats.answers_by_hour)],
        "days": json_days(stats),
        "perception": perception_document(stats.perception, labels),
        "recovery": recovery_document(stats.recovery),
        **json_sections(stats, labels),
    }


def render_json(stats: Stats, *, business: str = "", labels: Mapping[str, str] = DEFAULT_REASONS) -> str:
    """UTF-8 JSON, indented for a person who opens the file; non-ASCII names stay readable."""
    return json.dumps(report_document(stats, business=business, labels=labels), ensure_ascii=False, indent=2) + "\n"


def _counts(counts: OutcomeCounts) -> dict[str, Any]:
    return {
        "answers": counts.answers,
        "below": counts.below,
        "met": counts.met,
        "exceeded": counts.exceeded,
        "met_or_exceeded_share": counts.met_or_exceeded_share,
    }


def _groups(groups: Mapping[str, OutcomeCounts]) -> list[dict[str, Any]]:
    return [{"name": name, **_counts(counts)} for name, counts in groups.items()]


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else round(value.total_seconds())


def _totals(stats: Stats) -> dict[str, Any]:
    return {
        **_counts(stats.totals),
        "exceeded_share": stats.exceeded_share,
        "suspect": stats.suspect,
        "followups": stats.followups,
        "claimed": stats.claimed,
        "resolved": stats.resolved,
        "still_open": stats.still_open,
        "median_seconds_to_claim": _seconds(stats.median_to_claim),
        "median_seconds_to_resolve": _seconds(stats.median_to_resolve),
        "target_seconds": _seconds(stats.target),
        "resolved_within_target": stats.within_target,
        "resolved_within_target_share": stats.within_target_share,
    }


def _reasons(stats: Stats, labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Fell short by reason key, most first; the label is the shop's wording at the time of the report."""
    ranked = sorted(stats.below_by_reason.items(), key=lambda item: (-item[1], item[0]))
    return [{"key": key, "label": reason_label(key, labels), "below": count} for key, count in ranked]
