"""The ``[manager]`` table of the configuration, checked once at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.config import Config, ConfigError
from shared.reasons import DEFAULT_REASONS, reason_labels

DEFAULT_POLL_SECONDS = 0.25
KNOWN = {"name", "poll_seconds", "escalate_overdue"}


@dataclass(frozen=True, slots=True)
class ManagerSettings:
    name: str = ""
    poll_seconds: float = DEFAULT_POLL_SECONDS
    escalate_overdue: bool = True
    reasons: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_REASONS))  # [kiosk] reasons: labels

    @classmethod
    def from_config(cls, config: Config) -> ManagerSettings:
        table: dict[str, Any] = dict(config.section("manager"))
        unknown = set(table) - KNOWN
        if unknown:
            raise ConfigError(f"unknown setting(s) in [manager]: {', '.join(sorted(unknown))}")
        name = table.get("name", "")
        if not isinstance(name, str):
            raise ConfigError(f"[manager] name must be text, not {name!r}")
        poll = table.get("poll_seconds", DEFAULT_POLL_SECONDS)
        if isinstance(poll, bool) or not isinstance(poll, int | float) or not 0 < poll <= 5:
            raise ConfigError(f"[manager] poll_seconds must be a number of seconds above 0 and up to 5, not {poll!r}")
        escalate = table.get("escalate_overdue", True)
        if not isinstance(escalate, bool):
            raise ConfigError(f"[manager] escalate_overdue must be true or false, not {escalate!r}")
        return cls(
            name=name.strip(), poll_seconds=float(poll), escalate_overdue=escalate, reasons=reason_labels(config)
        )
