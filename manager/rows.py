"""What the queue shows: which follow-ups, in which order, as which cells.

Pure: follow-ups and ``now`` in, plain values out; the screen only paints them. Every text a
person set (station, names, reasons, comments, notes) comes out through :func:`printable`: an
escape sequence in a comment shows as ``␛[2J`` and never reaches the manager's terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from manager.words import Urgency, age_words, duration_words, resolution_words, time_left_words, urgency
from shared.followups import FollowUp, normalise_ref
from shared.phones import mask_phone
from shared.reasons import reasons_text
from shared.text import printable

# Most telling first: on a narrow screen the rest scrolls, and the panel below shows it all.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("wait", "!"),
    ("ref", "Ref"),
    ("left", "Time left"),
    ("age", "Age"),
    ("claimed", "Claimed by"),
    ("channel", "Channel"),
    ("station", "Station"),
    ("staff", "Staff"),
    ("reasons", "Reasons"),
    ("phone", "Phone"),
    ("comment", "Comment"),
)
# The resolved list: when and how it was closed, and by whom, instead of a time left.
RESOLVED_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    {"left": ("left", "Resolved"), "age": ("outcome", "Outcome"), "claimed": ("claimed", "By")}.get(key, (key, label))
    for key, label in COLUMNS
)
TICKING = ("age", "left")
COMMENT_WIDTH = 40

# Parsing a number to mask it is the slowest step of painting a row; a queue repeats few numbers.
masked = lru_cache(maxsize=4096)(mask_phone)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Show only one station and/or one channel; empty means all."""

    station: str = ""
    channel: str = ""

    def matches(self, followup: FollowUp) -> bool:
        return (not self.station or followup.station == self.station) and (
            not self.channel or followup.channel == self.channel
        )

    def describe(self) -> str:
        parts = [
            f"station {printable(self.station)}" if self.station else "",
            f"channel {self.channel}" if self.channel else "",
        ]
        return ", ".join(part for part in parts if part) or "all"


def visible(followups: Iterable[FollowUp], queue_filter: QueueFilter, now: datetime) -> list[FollowUp]:
    """The queue as shown: filtered, most urgent first (waiting customer, overdue, due soonest)."""
    return sorted((f for f in followups if queue_filter.matches(f)), key=lambda f: f.urgency_key(now))


def find_by_ref(followups: Iterable[FollowUp], typed: str) -> list[FollowUp]:
    """The follow-ups whose short reference is what was typed ("k7q2", "#K7Q2"), in the order given."""
    wanted = normalise_ref(typed)
    return [followup for followup in followups if followup.ref == wanted]


def recently_resolved(followups: Iterable[FollowUp]) -> list[FollowUp]:
    """Resolved follow-ups, latest first: the list a manager reopens from."""
    done = [f for f in followups if not f.is_active and f.resolved_at is not None]
    return sorted(done, key=lambda f: f.resolved_at or f.created, reverse=True)


def ticking_cells(followup: FollowUp, now: datetime) -> dict[str, tuple[str, Urgency | None]]:
    """The cells that change as time passes, with the urgency that colours the time left."""
    if not followup.is_active:
        resolved = "–" if followup.resolved_at is None else f"{duration_words(now - followup.resolved_at)} ago"
        return {"left": (resolved, None)}
    return {
        "age": (age_words(followup, now), None),
        "left": (time_left_words(followup, now), urgency(followup, now)),
    }


def static_cells(followup: FollowUp, labels: Mapping[str, str], *, revealed: bool = False) -> dict[str, str]:
    """The cells that only change when the follow-up does (``labels``: reason key → label)."""
    comment = printable(followup.comment)
    if len(comment) > COMMENT_WIDTH:
        comment = comment[: COMMENT_WIDTH - 1] + "…"
    phone = ""
    if followup.contact is not None:
        phone = followup.contact.phone if revealed else masked(followup.contact.phone)
    cells = {
        "wait": "⚑" if followup.customer_waiting else ("▲" if followup.escalated_at else ""),
        "ref": followup.ref,
        "outcome": resolution_words(followup.resolution),
        "channel": str(followup.channel),
        "station": followup.station,
        "staff": followup.staff,
        "reasons": "to read" if followup.is_to_read else reasons_text(followup.reasons, labels),
        "comment": comment,
        "phone": phone,
        "claimed": followup.claimed_by,
    }
    return {key: printable(text) for key, text in cells.items()}


def details(followup: FollowUp, now: datetime, labels: Mapping[str, str], *, revealed: bool = False) -> list[str]:
    """The selected follow-up in full, one fact per line, for the panel under the table."""
    what = "a text to read, sent" if followup.is_to_read else "fell short"
    lines = [
        f"{followup.ref} · {what} {age_words(followup, now)} ago · {followup.channel}"
        + (f" · {followup.station}" if followup.station else "")
        + (f" · staff {followup.staff}" if followup.staff else "")
        + (" · CUSTOMER WAITING AT THE COUNTER" if followup.customer_waiting else ""),
    ]
    if followup.is_active:
        lines.append(
            time_left_words(followup, now).capitalize()
            + (f" · escalated {duration_words(now - followup.escalated_at)} ago" if followup.escalated_at else "")
        )
    else:
        resolved = f" {duration_words(now - followup.resolved_at)} ago" if followup.resolved_at else ""
        lines.append(f"Resolved{resolved} ({resolution_words(followup.resolution)}) by {followup.claimed_by}")
    if followup.reasons:
        lines.append("Reasons: " + reasons_text(followup.reasons, labels))
    if followup.comment:
        lines.append(f"{'Text' if followup.is_to_read else 'Comment'}: “{followup.comment}”")
    for words in followup.later:
        lines.append(f"Later, {duration_words(now - words.at)} ago: “{words.text}”")
    if followup.contact is not None:
        if revealed:
            lines.append(f"Phone: {followup.contact.phone}")
        else:
            lines.append(f"Phone: {masked(followup.contact.phone)}  (v to show in full)")
    else:
        lines.append("Phone: none given")
    if followup.claimed_by and followup.claimed_at and followup.is_active:
        lines.append(f"Claimed by {followup.claimed_by} {duration_words(now - followup.claimed_at)} ago")
    if followup.note:
        lines.append(f"Note: {followup.note}")
    return [printable(line) for line in lines]
