"""The kiosk's settings: one typed object built once from the ``[kiosk]`` table of the configuration.

Every text a customer reads lives in :class:`Texts`, so a shop can word the kiosk its own way or in
another language through ``[kiosk.texts]``. Unknown keys are refused so that a typo is noticed at start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.theme import BUILTIN_THEMES

from kiosk.pin import InvalidPinHash, PinHash
from kiosk.qr import CODE, station_code
from shared.config import Config, ConfigError
from shared.phones import InvalidPhoneNumber, normalise_phone
from shared.ratings import NAME_CHARS
from shared.reasons import DEFAULT_REASONS, parse_reasons

PIN_HASH_ENV = "FEEDBACK_KIOSK_PIN_HASH"
THEMES = {"dark": "textual-dark", "light": "textual-light"}


@dataclass(frozen=True, slots=True)
class Texts:
    """Everything the kiosk says. Override any of them in ``[kiosk.texts]``."""

    question: str = "Did we meet your expectations today?"
    below: str = "Fell short"
    met: str = "Met"
    exceeded: str = "Exceeded"
    hint: str = "Tap a choice, or press 1, 2 or 3"
    qr_caption: str = "Or answer from your phone"
    qr_body: str = "Feedback #{code}"
    reasons_title: str = "Sorry we missed. What fell short?"
    reasons_hint: str = "Tap all that apply"
    done: str = "Done"
    skip: str = "Skip"
    manager_title: str = "Would you like a manager to come over now?"
    manager_yes: str = "Yes, please"
    manager_no: str = "No, thanks"
    phone_title: str = "Would you like a call back?"
    phone_hint: str = "Leave your number (optional)"
    phone_placeholder: str = "Your phone number"
    phone_consent: str = "Yes, you may call me back"
    phone_send: str = "Call me back"
    keypad_back: str = "⌫"
    phone_invalid: str = "That does not look like a phone number. Please check it."
    phone_needs_consent: str = "Please tick the box to agree to a call back, or skip."
    shoutout_title: str = "Who made your day?"
    thanks: str = "Thank you!"
    thanks_detail: str = "Your answer helps us do better."
    thanks_below: str = "Thank you for telling us. We will do better."
    thanks_manager: str = "A manager is on the way."
    thanks_callback: str = "We will call you back soon."
    thanks_shoutout: str = "We will pass your thanks on to {name}."
    setup_note: str = "No staff PIN set · Ctrl+Q quits · set one with `feedback kiosk-pin`"
    pin_title: str = "Staff PIN"
    pin_missing: str = "No staff PIN is set: run `feedback kiosk-pin`."

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Texts:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"unknown text(s) in [kiosk.texts]: {', '.join(sorted(unknown))}")
        for key, value in table.items():
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"[kiosk.texts] {key} must be non-empty text")
        return cls(**dict(table))


@dataclass(frozen=True, slots=True)
class KioskSettings:
    """What one kiosk needs to run, typed and validated."""

    station: str = "counter"
    station_code: str = "counter"
    reasons: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_REASONS))
    staff: tuple[str, ...] = ()
    texts: Texts = field(default_factory=Texts)
    thanks_seconds: float = 4.0
    step_timeout_seconds: float = 20.0
    phone_timeout_seconds: float = 60.0
    burst_limit: int = 4
    burst_window: timedelta = timedelta(seconds=20)
    sms_number: str = ""
    pin_hash: str = ""
    staff_key: str = "f12"
    theme: str = "textual-dark"
    lock: bool = True
    outbox_dir: Path = Path("outbox/counter")
    write_timeout_seconds: float = 1.0
    retry_first_seconds: float = 1.0
    retry_max_seconds: float = 10.0
    phone_region: str = "US"
    timezone: str = "UTC"


KNOWN_KEYS = {
    "station",
    "station_code",
    "reasons",
    "staff",
    "texts",
    "thanks_seconds",
    "step_timeout_seconds",
    "phone_timeout_seconds",
    "burst_limit",
    "burst_window_seconds",
    "sms_number",
    "pin_hash",
    "staff_key",
    "theme",
    "lock",
    "outbox_dir",
    "write_timeout_seconds",
    "retry_max_seconds",
}


def load_kiosk_settings(config: Config, *, station: str | None = None) -> KioskSettings:
    """Build the kiosk's settings from ``config.section("kiosk")``; ``station`` (``--station``) wins."""
    table = dict(config.section("kiosk"))
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"unknown setting(s) in [kiosk]: {', '.join(sorted(unknown))}")
    name = station or _text(table, "station", "counter")
    if not name.strip():
        raise ConfigError("the kiosk's station name cannot be empty")
    if len(name) > NAME_CHARS:
        raise ConfigError(f"the kiosk's station name is {len(name)} characters long; at most {NAME_CHARS} are stored")
    code = _text(table, "station_code", "") or station_code(name)
    if not CODE.fullmatch(code):
        raise ConfigError(
            f"[kiosk] station_code {code!r}: use a letter, then letters, digits, - or _ (up to 40), "
            "as in [sms.stations]"
        )
    sms_number = _text(table, "sms_number", "")
    if sms_number:
        try:
            sms_number = normalise_phone(sms_number, config.phone_region)
        except InvalidPhoneNumber as error:
            raise ConfigError(f"[kiosk] sms_number: {error}") from None
    theme = THEMES.get(_text(table, "theme", "dark"), _text(table, "theme", "dark"))
    if theme not in BUILTIN_THEMES:
        raise ConfigError(f"[kiosk] theme: use dark, light or a Textual theme name, not {theme!r}")
    outbox = table.get("outbox_dir")
    outbox_dir = Path(outbox).expanduser() if outbox else config.data_dir / "outbox" / _safe(name)
    burst_limit = _number(table, "burst_limit", 4)
    if burst_limit < 1 or burst_limit != int(burst_limit):
        raise ConfigError("[kiosk] burst_limit must be a whole number of at least 1")
    return KioskSettings(
        station=name,
        station_code=code,
        reasons=parse_reasons(table.get("reasons", DEFAULT_REASONS)),
        staff=tuple(_text_list(table, "staff")),
        texts=Texts.from_table(_table(table, "texts")),
        thanks_seconds=_number(table, "thanks_seconds", 4.0),
        step_timeout_seconds=_number(table, "step_timeout_seconds", 20.0),
        phone_timeout_seconds=_number(table, "phone_timeout_seconds", 60.0),
        burst_limit=int(burst_limit),
        burst_window=timedelta(seconds=_number(table, "burst_window_seconds", 20.0)),
        sms_number=sms_number,
        pin_hash=_pin_hash(table, config.env),
        staff_key=_text(table, "staff_key", "f12"),
        theme=theme,
        lock=_bool(table, "lock", True),
        outbox_dir=outbox_dir,
        write_timeout_seconds=_number(table, "write_timeout_seconds", 1.0),
        retry_max_seconds=max(_number(table, "retry_max_seconds", 10.0), 0.05),
        phone_region=config.phone_region,
        timezone=config.timezone,
    )


def _pin_hash(table: Mapping[str, Any], env: Mapping[str, str]) -> str:
    """The staff PIN's hash, checked now: a bad one found only at the staff key would lock staff in."""
    stored, source = _text(table, "pin_hash", ""), "[kiosk] pin_hash"
    if not stored:
        stored, source = env.get(PIN_HASH_ENV, ""), f"${PIN_HASH_ENV}"
    if stored:
        try:
            PinHash.parse(stored)
        except InvalidPinHash as error:
            raise ConfigError(f"{source} is not a valid staff PIN hash: {error}") from None
    return stored


def _safe(name: str) -> str:
    """A station name as a folder name."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "counter"


def _table(table: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[kiosk] {key} must be a table")
    return value


def _text(table: Mapping[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"[kiosk] {key} must be text, not {value!r}")
    return value


def _text_list(table: Mapping[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"[kiosk] {key} must be a list of names")
    if len(value) > 9:
        raise ConfigError(f"[kiosk] {key}: at most 9 names (one per key 1 to 9)")
    if too_long := [item for item in value if len(item) > NAME_CHARS]:
        raise ConfigError(f"[kiosk] {key}: {too_long[0][:20]!r}… is longer than {NAME_CHARS} characters")
    return value


def _number(table: Mapping[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"[kiosk] {key} must be a number of at least 0, not {value!r}")
    return float(value)


def _bool(table: Mapping[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"[kiosk] {key} must be true or false, not {value!r}")
    return value
