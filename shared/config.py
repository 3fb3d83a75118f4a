"""Configuration: one typed object, loaded once from a TOML file and the environment.

No other module reads ``os.environ``. Each channel reads its own section
(``[kiosk]``, ``[sms]``, ``[manager]``) from :attr:`Config.sections` and the
environment snapshot :attr:`Config.env`, with a small typed loader of its own.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.followups import DEFAULT_TARGET
from shared.ratings import DEFAULT_LIMITS, Limits

DATA_ENV = "FEEDBACK_DATA"
CONFIG_ENV = "FEEDBACK_CONFIG"
DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "feedback"


class ConfigError(ValueError):
    """The configuration file or environment has a value that cannot be used."""


@dataclass(frozen=True, slots=True)
class Config:
    """Settings every part of the product shares."""

    data_dir: Path = DEFAULT_DATA_DIR
    business_name: str = "our shop"
    timezone: str = "UTC"
    followup_target: timedelta = DEFAULT_TARGET
    retention_days: int = 90
    phone_region: str = "US"
    lock_timeout: float = 10.0
    limits: Limits = DEFAULT_LIMITS
    view_window: timedelta = timedelta(seconds=120)  # a staff view pairs with a kiosk answer this soon after it
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    source: Path | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def secret(self, name: str) -> str:
        """A secret from ``$NAME``, else from the file named by ``$NAME_FILE`` (systemd credentials style),
        so it need not appear on a command line; "" when neither is set. Surrounding whitespace is dropped."""
        if value := self.env.get(name, "").strip():
            return value
        path = self.env.get(f"{name}_FILE", "").strip()
        return read_secret_file(path, f"${name}_FILE") if path else ""

    def section(self, name: str) -> Mapping[str, Any]:
        """The raw ``[name]`` table of the TOML file (empty when absent)."""
        return self.sections.get(name, {})


def load_config(
    path: Path | str | None = None,
    *,
    data_dir: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Build the configuration: defaults, then the TOML file, then the environment, then arguments.

    The file is ``path``, else ``$FEEDBACK_CONFIG``, else none. The data directory is
    ``data_dir`` (``--data``), else ``$FEEDBACK_DATA``, else ``data_dir`` in the file,
    else ``~/.local/share/feedback``.
    """
    env = dict(os.environ if environ is None else environ)
    path = path or env.get(CONFIG_ENV)
    raw: dict[str, Any] = {}
    source = None
    if path:
        source = Path(path).expanduser()
        try:
            raw = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"the configuration file {source} does not exist") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"the configuration file {source} is not valid TOML: {error}") from None
    general = {key: value for key, value in raw.items() if not isinstance(value, dict)}
    sections = {key: value for key, value in raw.items() if isinstance(value, dict)}
    unknown = set(general) - {
        "data_dir",
        "business_name",
        "timezone",
        "followup_target_minutes",
        "retention_days",
        "phone_region",
        "lock_timeout_seconds",
        "max_past_days",
        "max_future_minutes",
        "staff_view_window_seconds",
    }
    if unknown:
        raise ConfigError(f"unknown setting(s) in {source}: {', '.join(sorted(unknown))}")

    try:
        limits = Limits(
            max_past=timedelta(days=_number(general, "max_past_days", DEFAULT_LIMITS.max_past.days)),
            max_future=timedelta(minutes=_number(general, "max_future_minutes", 5)),
        )
    except OverflowError:
        raise ConfigError("max_past_days and max_future_minutes must be at most a few thousand years") from None
    chosen_data = data_dir or env.get(DATA_ENV) or general.get("data_dir") or DEFAULT_DATA_DIR
    config = Config(
        data_dir=Path(chosen_data).expanduser(),
        business_name=_text(general, "business_name", "our shop"),
        timezone=_text(general, "timezone", "UTC"),
        followup_target=timedelta(minutes=_number(general, "followup_target_minutes", 15)),
        retention_days=int(_number(general, "retention_days", 90)),
        phone_region=_text(general, "phone_region", "US").upper(),
        lock_timeout=_number(general, "lock_timeout_seconds", 10.0),
        limits=limits,
        view_window=timedelta(seconds=_number(general, "staff_view_window_seconds", 120)),
        sections=sections,
        env=env,
        source=source,
    )
    try:
        config.zone  # noqa: B018 - validate early, with a clear message
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {config.timezone!r}; use a name such as Europe/Paris") from None
    if config.followup_target <= timedelta(0):
        raise ConfigError("followup_target_minutes must be more than 0")
    return config


def read_secret_file(path: str, what: str) -> str:
    """The secret kept in a file (its first line); a missing or empty file is a :class:`ConfigError`."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{what}: cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
    secret = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not secret:
        raise ConfigError(f"{what}: {path} is empty")
    return secret


def _text(table: Mapping[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be text, not {value!r}")
    return value


def _number(table: Mapping[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{key} must be a number of at least 0, not {value!r}")
    return float(value)
