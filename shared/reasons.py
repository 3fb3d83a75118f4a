"""What fell short: the reason keys a kiosk stores and the labels people read.

The labels are configured once, in ``[kiosk] reasons``; the kiosk offers them as chips, and the
console, the alerts and the reports read the same table here (channels never import each other).
A key that is stored but no longer configured still reads as words ("wait_time" → "Wait time").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.config import Config, ConfigError
from shared.ratings import REASON_CHARS

DEFAULT_REASONS: dict[str, str] = {
    "wait_time": "Wait time",
    "friendliness": "Friendliness",
    "accuracy": "Accuracy",
    "knowledge": "Knowledge",
    "cleanliness": "Cleanliness",
    "price": "Price",
    "other": "Other",
}
MAX_REASONS = 9  # one per key 1 to 9 on the kiosk


def parse_reasons(value: Any) -> dict[str, str]:
    """Reasons as ``{key: label}``: a TOML table keeps its order; a list uses each text as key and label."""
    if isinstance(value, Mapping):
        reasons = dict(value)
    elif isinstance(value, list):
        reasons = {item: item for item in value}
    else:
        raise ConfigError("[kiosk] reasons must be a list of texts or a table of key = label")
    if not reasons or not all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in reasons.items()):
        raise ConfigError("[kiosk] reasons must hold at least one non-empty text")
    if len(reasons) > MAX_REASONS:
        raise ConfigError(f"[kiosk] reasons: at most {MAX_REASONS} (one per key 1 to {MAX_REASONS})")
    if too_long := [key for key in reasons if len(key) > REASON_CHARS]:
        raise ConfigError(f"[kiosk] reasons: the key {too_long[0][:20]!r}… is longer than {REASON_CHARS} characters")
    return reasons


def reason_labels(config: Config) -> dict[str, str]:
    """The shop's reasons, key → label, in the kiosk's order (the defaults when not configured)."""
    return parse_reasons(config.section("kiosk").get("reasons", DEFAULT_REASONS))


def humanise(key: str) -> str:
    """A stored key as words: "wait_time" → "Wait time"."""
    words = key.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def reason_label(key: str, labels: Mapping[str, str]) -> str:
    """The label people read for a stored reason key, even one no longer configured."""
    return labels.get(key) or humanise(key)


def reasons_text(keys: Iterable[str], labels: Mapping[str, str]) -> str:
    """Several reasons as one line: "Wait time, Price"."""
    return ", ".join(reason_label(key, labels) for key in keys)
