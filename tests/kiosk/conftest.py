"""Fixtures for the kiosk: a real data folder, a real configuration file, a controllable clock."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kiosk.app import KioskApp
from kiosk.pin import hash_pin
from kiosk.settings import load_kiosk_settings
from shared.config import Config, load_config
from shared.ratings import Rating
from shared.store import FeedbackStore

STAFF_PIN = "2468"


class Clock:
    """A clock the test moves by hand: taps get exact times, bursts are reproducible."""

    def __init__(self, start: datetime = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(v)}' for k, v in value.items()) + " }"
    return repr(value)


def write_config(path: Path, kiosk: dict[str, Any], general: dict[str, Any] | None = None) -> Path:
    texts = kiosk.pop("texts", None)
    lines = [f"{key} = {toml_value(value)}" for key, value in (general or {}).items()]
    lines.append("[kiosk]")
    lines += [f"{key} = {toml_value(value)}" for key, value in kiosk.items()]
    if texts:
        lines.append("[kiosk.texts]")
        lines += [f"{key} = {toml_value(value)}" for key, value in texts.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def pin_hash() -> str:
    return hash_pin(STAFF_PIN)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_config(tmp_path: Path, data_dir: Path) -> Callable[..., Config]:
    def make(general: dict[str, Any] | None = None, **kiosk: Any) -> Config:
        kiosk = {"thanks_seconds": 0.2, "step_timeout_seconds": 30, **kiosk}
        general = {"lock_timeout_seconds": 2, **(general or {})}
        path = write_config(tmp_path / "feedback.toml", kiosk, general)
        return load_config(path, data_dir=data_dir, environ={})

    return make


@pytest.fixture
def make_app(make_config: Callable[..., Config], clock: Clock) -> Callable[..., KioskApp]:
    def make(*, retry_first_seconds: float = 0.05, general: dict[str, Any] | None = None, **kiosk: Any) -> KioskApp:
        config = make_config(general, **kiosk)
        settings = dataclasses.replace(load_kiosk_settings(config), retry_first_seconds=retry_first_seconds)
        return KioskApp(config, settings=settings, clock=clock)

    return make


def stored(data_dir: Path) -> list[Rating]:
    return list(FeedbackStore(data_dir).ratings())


async def wait_for(pilot: Pilot, predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout} s for {predicate}")
        await pilot.pause(0.02)


async def to_phone_step(pilot: Pilot, app: KioskApp) -> None:
    """Fell short, no reasons, no manager: the call-back step."""
    from kiosk.screens.manager_now import ManagerNowScreen
    from kiosk.screens.phone import PhoneScreen
    from kiosk.screens.reasons import ReasonsScreen

    await pilot.press("1")
    await wait_for(pilot, lambda: isinstance(app.screen, ReasonsScreen))
    await pilot.click("#skip")
    await wait_for(pilot, lambda: isinstance(app.screen, ManagerNowScreen))
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen))
