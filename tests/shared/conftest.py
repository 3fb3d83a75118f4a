from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = NOON) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> FeedbackStore:
    return FeedbackStore(tmp_path / "data", clock=clock)


@pytest.fixture
def make_rating(clock: FakeClock) -> Callable[..., Rating]:
    counter = iter(range(1_000_000))

    def make(outcome: Outcome | str = Outcome.MET, **fields: object) -> Rating:
        fields.setdefault("id", f"r{next(counter)}")
        fields.setdefault("ts", clock.now)
        fields.setdefault("channel", Channel.KIOSK)
        fields.setdefault("station", "front")
        return Rating(outcome=Outcome(outcome), **fields)  # type: ignore[arg-type]

    return make
