"""Hooks: the events other tools hear about (a fell-short answer, a hot spot, a follow-up resolved), as signed JSON.

Pure: settings, events, bodies, signatures and the retry schedule. Sending is :mod:`sms.hooks`, a
background worker of the server that works from a durable outbox in the store. An event carries
what a person needs to act, never a phone number in clear: the customer's number is masked, and
every long run of digits in a comment or a note is too.

Bodies: ``slack`` is ``{"text": ...}``, which Slack and Microsoft Teams incoming webhooks read;
``generic`` adds the event's id, type, time and fields. Every POST is signed with HMAC-SHA256 over
the raw body (``X-Feedback-Signature: sha256=<hex>``) and carries ``X-Feedback-Delivery`` (the same on
every retry of one event to one endpoint: delivery is at least once, so receivers drop repeats by it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from shared.config import Config, ConfigError
from shared.followups import FollowUp, FollowUpKind
from shared.hot_spots import Spot
from shared.phones import mask_numbers, mask_phone
from shared.reasons import reason_label, reasons_text
from shared.text import printable

SECRET_ENV = "FEEDBACK_HOOKS_SECRET"  # or FEEDBACK_HOOKS_SECRET_FILE, or [hooks] secret
SIGNATURE_HEADER = "X-Feedback-Signature"
DELIVERY_HEADER = "X-Feedback-Delivery"
EVENT_HEADER = "X-Feedback-Event"


class HookEvent(StrEnum):
    FELL_SHORT = "fell_short"
    HOT_SPOT = "hot_spot"
    RESOLVED = "resolved"


class HookFormat(StrEnum):
    SLACK = "slack"  # {"text": ...}: Slack and Teams incoming webhooks
    GENERIC = "generic"


@dataclass(frozen=True, slots=True)
class Endpoint:
    url: str
    events: frozenset[HookEvent]
    format: HookFormat = HookFormat.GENERIC

    @property
    def key(self) -> str:
        """A short stable name for the outbox (the URL may hold a token: never stored in clear)."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class HookSettings:
    endpoints: tuple[Endpoint, ...] = ()
    secret: str = ""
    first_retry: timedelta = timedelta(seconds=10)
    longest_retry: timedelta = timedelta(hours=1)
    max_attempts: int = 12  # 10 s, 20 s, 40 s ... then hourly: about 6 hours in all
    timeout_seconds: float = 5.0

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failed tries (doubling, capped); None: give up."""
        if attempts >= self.max_attempts:
            return None
        wait = min(self.first_retry * 2 ** (attempts - 1), self.longest_retry)
        return now + wait


def load_hook_settings(config: Config) -> HookSettings:
    """``[hooks]``: ``secret`` (better ``$FEEDBACK_HOOKS_SECRET`` or ``$FEEDBACK_HOOKS_SECRET_FILE``, so it
    need not sit in a file kept with the configuration), ``first_retry_seconds``, ``max_attempts``, and
    ``[[hooks.endpoints]]`` tables of ``url``, ``events`` and ``format``."""
    table = dict(config.section("hooks"))
    known = {"secret", "endpoints", "first_retry_seconds", "max_attempts"}
    if unknown := set(table) - known:
        raise ConfigError(f"unknown setting(s) in [hooks]: {', '.join(sorted(unknown))}")
    raw = table.get("endpoints", [])
    if not isinstance(raw, list):
        raise ConfigError("[hooks] endpoints must be [[hooks.endpoints]] tables")
    endpoints = tuple(_endpoint(item, number) for number, item in enumerate(raw, start=1))
    secret = config.secret(SECRET_ENV) or str(table.get("secret", "")).strip()
    if endpoints and not secret:
        raise ConfigError(
            f"[hooks] endpoints need a secret to sign with: set ${SECRET_ENV} (or ${SECRET_ENV}_FILE, "
            "or [hooks] secret)"
        )
    first = table.get("first_retry_seconds", 10)
    attempts = table.get("max_attempts", 12)
    if isinstance(first, bool) or not isinstance(first, int | float) or not 0 < first <= 3600:
        raise ConfigError(f"[hooks] first_retry_seconds must be from 1 to 3600, not {first!r}")
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 100:
        raise ConfigError(f"[hooks] max_attempts must be a whole number from 1 to 100, not {attempts!r}")
    return HookSettings(endpoints, secret, timedelta(seconds=first), max_attempts=attempts)


def _endpoint(item: Any, number: int) -> Endpoint:
    where = f"[[hooks.endpoints]] number {number}"
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where} must be a table with url, events and format")
    if unknown := set(item) - {"url", "events", "format"}:
        raise ConfigError(f"unknown setting(s) in {where}: {', '.join(sorted(unknown))}")
    url = item.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: url must be an http:// or https:// address, not {url!r}")
    events = item.get("events", [str(event) for event in HookEvent])
    names = ", ".join(str(event) for event in HookEvent)
    if not isinstance(events, list) or not events or not all(event in set(HookEvent) for event in events):
        raise ConfigError(f"{where}: events must be a list of {names}, not {events!r}")
    fmt = item.get("format", "generic")
    if fmt not in set(HookFormat):
        raise ConfigError(f"{where}: format must be slack or generic, not {fmt!r}")
    return Endpoint(url, frozenset(HookEvent(event) for event in events), HookFormat(fmt))


@dataclass(frozen=True, slots=True)
class Event:
    """One thing to tell other tools, with an id that names it for good (the same after any restart)."""

    id: str
    type: HookEvent
    at: datetime
    text: str  # one line a person reads in a chat
    fields: Mapping[str, Any]

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": str(self.type),
            "at": self.at.isoformat(),
            "text": self.text,
            "fields": dict(self.fields),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Event:
        return cls(
            record["id"],
            HookEvent(record["type"]),
            datetime.fromisoformat(record["at"]),
            record["text"],
            record["fields"],
        )


def _followup_fields(followup: FollowUp, labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "ref": followup.ref,
        "channel": str(followup.channel),
        "station": followup.station,
        "staff": followup.staff,
        "reasons": [reason_label(key, labels) for key in followup.reasons],
        "comment": mask_numbers(followup.comment),
        "phone": mask_phone(followup.contact.phone) if followup.contact else "",
        "customer_waiting": followup.customer_waiting,
    }


def _where(followup: FollowUp) -> str:
    return printable(", ".join(part for part in (followup.station, followup.staff, str(followup.channel)) if part))


def fell_short_event(followup: FollowUp, labels: Mapping[str, str]) -> Event | None:
    """A customer said we fell short (a text to read is no such event); once per flag."""
    if followup.kind is not FollowUpKind.FELL_SHORT:
        return None
    reasons = printable(reasons_text(followup.reasons, labels)) or "no reason given"
    comment = printable(mask_numbers(followup.comment))
    text = f"Fell short {followup.ref} ({_where(followup)}): {reasons}." + (f' "{comment}"' if comment else "")
    return Event(
        f"fell_short:{followup.id}:{followup.flagged_at.isoformat()}",
        HookEvent.FELL_SHORT,
        followup.flagged_at,
        text,
        _followup_fields(followup, labels),
    )


def resolved_event(followup: FollowUp, labels: Mapping[str, str]) -> Event | None:
    if followup.kind is not FollowUpKind.FELL_SHORT or followup.resolved_at is None:
        return None
    how = str(followup.resolution or "").replace("_", " ")
    by = printable(followup.claimed_by)
    text = f"Resolved {followup.ref} ({_where(followup)}): {how}" + (f" by {by}" if by else "") + "."
    fields = {
        **_followup_fields(followup, labels),
        "resolution": str(followup.resolution or ""),
        "by": followup.claimed_by,
        "note": mask_numbers(followup.note),
    }
    return Event(
        f"resolved:{followup.id}:{followup.resolved_at.isoformat()}",
        HookEvent.RESOLVED,
        followup.resolved_at,
        text,
        fields,
    )


def hot_spot_event(spot: Spot, labels: Mapping[str, str]) -> Event:
    reason = reason_label(spot.top_reason, labels) if spot.top_reason else ""
    minutes = f"{spot.window.total_seconds() / 60:g}"
    text = (
        f"Hot spot at {printable(spot.station) or '(no station)'}: {spot.below} of {spot.answers} fell short in "
        f"{minutes} min ({spot.share * 100:.0f} %)" + (f"; top reason: {printable(reason)}" if reason else "") + "."
    )
    fields = {
        "station": spot.station,
        "answers": spot.answers,
        "below": spot.below,
        "share": spot.share,
        "window_minutes": spot.window.total_seconds() / 60,
        "top_reason": reason,
    }
    return Event(f"hot_spot:{spot.station}:{spot.at.isoformat()}", HookEvent.HOT_SPOT, spot.at, text, fields)


def slack_escape(text: str) -> str:
    """Slack reads ``<...>`` as links and mentions (``<!channel>``): & < > are escaped as it asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(event: Event, fmt: HookFormat, business: str) -> bytes:
    """The raw JSON the endpoint receives (and the signature covers)."""
    text = f"{business}: {event.text}" if business else event.text
    if fmt is HookFormat.SLACK:
        document: dict[str, Any] = {"text": slack_escape(text)}
    else:
        document = {
            "id": event.id,
            "event": str(event.type),
            "at": event.at.isoformat(),
            "business": business,
            "text": text,
            **{"data": dict(event.fields)},
        }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, raw: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw body with the shared secret (compare with hmac.compare_digest)."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def delivery_key(event: Event, endpoint: Endpoint) -> str:
    """One event to one endpoint: the outbox's key and the ``X-Feedback-Delivery`` header."""
    return hashlib.sha256(f"{event.id}|{endpoint.key}".encode()).hexdigest()[:32]
