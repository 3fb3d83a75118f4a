from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shared.ratings import Channel, Outcome, Rating
from shared.store import FeedbackStore
from tests.clocks import FakeClock


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
