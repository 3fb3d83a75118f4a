"""Fixtures for the managers' console: a real data directory, a clock the test moves, seeded follow-ups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from shared.config import Config, load_config
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore
from tests.clocks import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(None, data_dir=tmp_path / "data", environ={})


@pytest.fixture
def store(config: Config, clock: FakeClock) -> FeedbackStore:
    return FeedbackStore(config.data_dir, followup_target=config.followup_target, clock=clock)


Seed = Callable[..., Rating]


@pytest.fixture
def seed(store: FeedbackStore, clock: FakeClock) -> Seed:
    """Record a fell-short answer (or another outcome) at the clock's time, minus ``ago``."""
    counter = iter(range(1_000_000))

    def record(outcome: str = "below", *, ago: timedelta = timedelta(0), phone: str = "", **fields: object) -> Rating:
        fields.setdefault("id", f"r{next(counter):03d}")
        fields.setdefault("channel", Channel.KIOSK)
        fields.setdefault("station", "front")
        if phone:
            fields["contact"] = Contact(phone)
        rating = Rating(ts=clock.now - ago, outcome=Outcome(outcome), **fields)  # type: ignore[arg-type]
        return store.record_rating(rating, now=clock.now - ago).rating

    return record
