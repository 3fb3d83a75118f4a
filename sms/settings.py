"""The SMS channel's settings: one typed object from ``[sms]``, ``[alerts]`` and the environment.

Secrets (Twilio credentials, the API token) only ever come from the environment snapshot
``config.env``. Every text a customer receives can be replaced in ``[sms.texts]``; the
defaults fit one GSM-7 segment (160 characters) so a text is never split or re-encoded.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shared.config import Config, ConfigError
from shared.hot_spots import SpotKind, WindowRule, parse_rule
from shared.phones import InvalidPhoneNumber, mask_phone, normalise_phone
from shared.reasons import DEFAULT_REASONS, reason_labels

DEFAULT_TEXTS: dict[str, str] = {
    "question": (
        "{business}: Did we meet your expectations today? Reply 1 if we fell short, 2 if we met them, "
        "3 if we exceeded them. Reply STOP to opt out."
    ),
    "reask": (
        "Sorry, we did not catch that. Please reply 1 (fell short), 2 (met) or 3 (exceeded). Reply STOP to opt out."
    ),
    "ask_what_went_wrong": (
        "Thank you, and sorry we fell short. What went wrong? Just reply here; a manager will read it."
    ),
    "below_noted": "Thank you, and sorry we fell short. A manager will read your message and look into it.",
    "thanks_met": "Thank you for your answer! We are glad we met your expectations.",
    "thanks_exceeded": "Thank you! We are delighted we exceeded your expectations. See you soon.",
    "comment_thanks": "Thank you for telling us. A manager will look into it.",
    "still_looking": "Thank you - a manager will still look into it.",
    "opted_out": "{business}: you will not get any more texts from us. Reply START to opt back in.",
    "opted_in": "{business}: you can get texts from us again. Reply STOP to opt out.",
    "help": "{business} feedback texts: one question after a visit. Reply STOP to opt out, START to opt back in.",
    "check_back": (
        "{business}: a manager looked into what went wrong on your visit. Did we make it right? Reply YES or NO."
    ),
    "check_back_thanks": "Thank you! We are glad we could put it right.",
    "check_back_sorry": "Sorry we have not put it right yet. A manager will look into it again.",
    "alert": "{business}: fell short {ref} ({where}): {reasons}. Number {phone}. {comment}",
    "escalation": "{business}: {ref} overdue, escalated ({where}): {reasons}. Number {phone}. {comment}",
    "alert_backlog": "{business}: alerts are on; {count} already open (see the console). New flags come one by one.",
    "hot_spot": "{business}: hot spot at {station}: {below} of {answers} fell short in {minutes} min ({share}). "
    "Top reason: {reason}",
    "great_streak": "{business}: great streak at {station}: {answers} answers in {minutes} min, none fell short.",
}
MANAGER_TEXTS = ("alert", "escalation", "alert_backlog", "hot_spot", "great_streak")
CUSTOMER_TEXTS = tuple(name for name in DEFAULT_TEXTS if name not in MANAGER_TEXTS)
# {id} is the short reference too: texts written before references existed keep working.
ALERT_FIELDS = frozenset({"business", "where", "phone", "id", "ref", "reasons", "comment"})
SPOT_FIELDS = frozenset({"business", "station", "below", "answers", "minutes", "share", "reason"})
FIELDS: dict[str, frozenset[str]] = {
    **{name: frozenset({"business"}) for name in CUSTOMER_TEXTS},
    "alert": ALERT_FIELDS,
    "escalation": ALERT_FIELDS,
    "alert_backlog": frozenset({"business", "count"}),
    "hot_spot": SPOT_FIELDS,
    "great_streak": SPOT_FIELDS,
}
# Longest business name the default texts are checked with.
BUSINESS_NAME_BUDGET = 24
# Printed on the `feedback qr` poster, never texted (so no SMS length limit); also set in [sms.texts].
POSTER_TEXTS: dict[str, str] = {
    "poster_question": "Did we meet your expectations?",
    "poster_station": "{station}",
    "poster_instruction": "Scan the code, or text {code} to {number}",
}
POSTER_FIELDS: dict[str, frozenset[str]] = {
    "poster_question": frozenset({"business", "station"}),
    "poster_station": frozenset({"business", "station"}),
    "poster_instruction": frozenset({"business", "station", "code", "number"}),
}
# Twilio gives up on a webhook after 15 s: a text never waits longer than this for the store.
MAX_STORE_WAIT_SECONDS = 5.0

# GSM 03.38: the basic set costs 1, the extension set 2; anything else forces UCS-2 (70 characters).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def gsm7_length(text: str) -> int | None:
    """Length in GSM-7 septets, or None when a character forces the 70-character UCS-2 encoding."""
    total = 0
    for char in text:
        if char in GSM7_BASIC:
            total += 1
        elif char in GSM7_EXTENSION:
            total += 2
        else:
            return None
    return total


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local times between which no prompt is sent (may span midnight)."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True, slots=True)
class SmsConfig:
    """Everything the SMS channel needs, validated once at start."""

    business_name: str = "our shop"
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    phone_region: str = "US"
    account_sid: str = ""
    auth_token: str = ""
    from_number: str = ""
    messaging_service_sid: str = ""
    public_url: str = ""
    api_base: str = ""  # test only: send to a local stand-in for api.twilio.com
    trusted_proxies: int = 0  # how many reverse proxies in front set X-Forwarded-* (applied by waitress)
    proxy_address: str = "127.0.0.1"  # the address the nearest proxy connects from
    allowed_hosts: tuple[str, ...] = ()  # without PUBLIC_URL: the Host names a signed request may carry
    max_body_bytes: int = 16 * 1024
    rate_limit_per_minute: int = 10
    cooling_off: timedelta = timedelta(hours=24)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    prompt_expiry: timedelta = timedelta(hours=48)
    comment_window: timedelta = timedelta(minutes=30)
    correction_window: timedelta = timedelta(minutes=2)  # a bare rating this soon after the first may change it
    stations: Mapping[str, str] = field(default_factory=dict)  # station code (#code) -> station name
    numbers: Mapping[str, str] = field(default_factory=dict)  # our receiving number (E.164) -> station name
    managers: tuple[str, ...] = ()
    escalation_contacts: tuple[str, ...] = ()
    alert_max_age: timedelta = timedelta(hours=2)
    hot_spot: WindowRule | None = field(default_factory=WindowRule)  # [alerts] hot_spot; None: off
    great_streak: WindowRule | None = None  # [alerts] great_streak: off unless set
    retention: timedelta = timedelta(days=90)  # messages and numbers kept this long (retention_days)
    texts: Mapping[str, str] = field(default_factory=lambda: DEFAULT_TEXTS | POSTER_TEXTS)
    store_wait_seconds: float = 3.0  # how long a text waits for the store before it is spooled
    spool_dir: Path = Path("sms/spool")  # texts the store could not take yet (<data>/sms/spool)
    reasons: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_REASONS))  # [kiosk] reasons: labels
    check_back: bool = True  # text "did we make it right?" after a manager resolved a follow-up
    check_back_after: timedelta = timedelta(minutes=30)

    @property
    def questions(self) -> tuple[str, ...]:
        """Every wording of our question a customer may quote in a reaction: this shop's and the defaults."""
        names = ("question", "reask")
        wordings = [self.text(name) for name in names]
        wordings += [DEFAULT_TEXTS[name].format(business=self.business_name) for name in names]
        return tuple(dict.fromkeys(wordings))

    @property
    def can_send(self) -> bool:
        """Credentials and a sender are configured: texts go through Twilio, not the console."""
        return bool(self.account_sid and self.auth_token and (self.from_number or self.messaging_service_sid))

    def text(self, name: str, **values: str) -> str:
        """A customer (or manager) text with its placeholders filled."""
        return self.texts[name].format(business=self.business_name, **values)

    def station_for_code(self, code: str) -> str:
        return self.stations.get(code.lower(), code) if code else ""

    def describe(self) -> str:
        """A one-line summary for the start-up log (no secrets, numbers masked)."""
        sender = (
            f"Twilio from {mask_phone(self.from_number)}"
            if self.from_number
            else "Twilio messaging service"
            if self.can_send
            else "console (no Twilio credentials)"
        )
        return (
            f"sending via {sender}; signatures {'checked' if self.auth_token else 'NOT checked'}; "
            f"{len(self.managers)} manager(s) alerted"
        )


def load_sms_config(config: Config) -> SmsConfig:
    """Read ``[sms]``, ``[sms.stations]``, ``[sms.numbers]``, ``[sms.texts]``, ``[alerts]`` and the environment."""
    sms = dict(config.section("sms"))
    alerts = dict(config.section("alerts"))
    env = config.env
    region = config.phone_region
    known = {
        "from_number",
        "messaging_service_sid",
        "public_url",
        "trusted_proxies",
        "proxy_address",
        "allowed_hosts",
        "max_body_bytes",
        "rate_limit_per_minute",
        "cooling_off_hours",
        "quiet_hours",
        "prompt_expiry_hours",
        "comment_window_minutes",
        "correction_window_minutes",
        "stations",
        "numbers",
        "texts",
        "store_wait_seconds",
        "spool_dir",
        "check_back",
        "check_back_after_minutes",
    }
    _refuse_unknown("sms", sms, known)
    _refuse_unknown("alerts", alerts, {"managers", "escalation", "max_age_minutes", "hot_spot", "great_streak"})
    texts = DEFAULT_TEXTS | POSTER_TEXTS
    for name, template in _table(sms, "texts").items():
        if name not in texts:
            raise ConfigError(f"[sms.texts] has no text called {name!r}; known texts: {', '.join(texts)}")
        texts[name] = _template(name, template)
    from_number = env.get("TWILIO_FROM_NUMBER") or _str(sms, "from_number")
    store_wait = _number(sms, "store_wait_seconds", 3.0, minimum=0.05)
    if store_wait > MAX_STORE_WAIT_SECONDS:
        raise ConfigError(
            f"[sms] store_wait_seconds must be at most {MAX_STORE_WAIT_SECONDS:g} (Twilio gives up after 15 s), "
            f"not {store_wait:g}"
        )
    spool_dir = _str(sms, "spool_dir")
    return SmsConfig(
        business_name=config.business_name,
        zone=config.zone,
        phone_region=region,
        account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
        auth_token=config.secret("TWILIO_AUTH_TOKEN"),
        from_number=_phone(from_number, region, "TWILIO_FROM_NUMBER / [sms] from_number") if from_number else "",
        messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID") or _str(sms, "messaging_service_sid"),
        public_url=(env.get("PUBLIC_URL") or _str(sms, "public_url")).rstrip("/"),
        api_base=env.get("TWILIO_API_BASE", "").rstrip("/"),
        trusted_proxies=int(_number(sms, "trusted_proxies", 0)),
        proxy_address=_str(sms, "proxy_address") or "127.0.0.1",
        allowed_hosts=_hosts(sms),
        max_body_bytes=int(_number(sms, "max_body_bytes", 16 * 1024, minimum=1024)),
        rate_limit_per_minute=int(_number(sms, "rate_limit_per_minute", 10, minimum=1)),
        cooling_off=timedelta(hours=_number(sms, "cooling_off_hours", 24)),
        quiet_hours=_quiet_hours(sms.get("quiet_hours", "21:00-08:00")),
        prompt_expiry=timedelta(hours=_number(sms, "prompt_expiry_hours", 48, minimum=0.01)),
        comment_window=timedelta(minutes=_number(sms, "comment_window_minutes", 30)),
        correction_window=timedelta(minutes=_number(sms, "correction_window_minutes", 2)),
        stations={str(code).lower(): str(name) for code, name in _table(sms, "stations").items()},
        numbers={
            _phone(str(number), region, "[sms.numbers]"): str(name) for number, name in _table(sms, "numbers").items()
        },
        managers=_phones(alerts, "managers", region),
        escalation_contacts=_phones(alerts, "escalation", region),
        alert_max_age=timedelta(minutes=_number(alerts, "max_age_minutes", 120)),
        hot_spot=parse_rule(alerts.get("hot_spot", {}), SpotKind.HOT_SPOT, "[alerts] hot_spot"),
        great_streak=parse_rule(alerts.get("great_streak", False), SpotKind.GREAT_STREAK, "[alerts] great_streak"),
        retention=timedelta(days=max(config.retention_days, 1)),
        texts=texts,
        store_wait_seconds=store_wait,
        spool_dir=Path(spool_dir).expanduser() if spool_dir else config.data_dir / "sms" / "spool",
        reasons=reason_labels(config),
        check_back=_flag(sms, "check_back", True),
        check_back_after=timedelta(minutes=_number(sms, "check_back_after_minutes", 30)),
    )


def _refuse_unknown(section: str, table: Mapping[str, Any], known: set[str]) -> None:
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"unknown setting(s) in [{section}]: {', '.join(sorted(unknown))}")


def _str(table: Mapping[str, Any], key: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"[sms] {key} must be text, not {value!r}")
    return value


def _hosts(table: Mapping[str, Any]) -> tuple[str, ...]:
    value = table.get("allowed_hosts", [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError('[sms] allowed_hosts must be a list of host names such as ["feedback.example.com"]')
    return tuple(item.strip().lower() for item in value)


def _number(table: Mapping[str, Any], key: str, default: float, *, minimum: float = 0) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{key} must be a number of at least {minimum:g}, not {value!r}")
    return float(value)


def _flag(table: Mapping[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"[sms] {key} must be true or false, not {value!r}")
    return value


def _table(table: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[sms.{key}] must be a table")
    return value


def _phone(text: str, region: str, where: str) -> str:
    try:
        return normalise_phone(text, region)
    except InvalidPhoneNumber as error:
        raise ConfigError(f"{where}: {error}") from None


def _phones(table: Mapping[str, Any], key: str, region: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"[alerts] {key} must be a list of phone numbers")
    return tuple(_phone(item, region, f"[alerts] {key}") for item in value)


def _template(name: str, template: Any) -> str:
    if not isinstance(template, str) or not template.strip():
        raise ConfigError(f"[sms.texts] {name} must be non-empty text")
    try:
        fields = {parsed[1] for parsed in string.Formatter().parse(template) if parsed[1] is not None}
    except ValueError as error:
        raise ConfigError(f"[sms.texts] {name} has a broken placeholder: {error}") from None
    known = FIELDS.get(name) or POSTER_FIELDS[name]
    unknown = fields - known
    if unknown:
        allowed = ", ".join("{" + field + "}" for field in sorted(known))
        raise ConfigError(f"[sms.texts] {name} uses unknown placeholder(s) {sorted(unknown)}; allowed: {allowed}")
    return template


def _quiet_hours(value: Any) -> QuietHours:
    """``"21:00-08:00"``, or ``""`` / ``"off"`` for none."""
    if value in ("", "off", "none"):
        return QuietHours(time(0), time(0))
    try:
        start, end = (time.fromisoformat(part.strip()) for part in str(value).split("-"))
    except ValueError:
        raise ConfigError(f"[sms] quiet_hours must look like 21:00-08:00 (or off), not {value!r}") from None
    return QuietHours(start, end)
