"""What the console looks like, pinned: the queue and the statistics at 80×24 and 160×48.

Fixed clock and fixed data; update with ``pytest tests/manager --snapshot-update`` after a
deliberate change, and look at the SVGs in the report before committing them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from manager.app import ManagerApp
from shared.config import load_config
from shared.followups import Resolution
from shared.ratings import Channel, Contact, Outcome, Rating
from shared.store import FeedbackStore

from . import dataset
from .conftest import FakeClock

SIZES = [(80, 24), (160, 48)]


def queue_app(tmp_path: Path) -> ManagerApp:
    clock = FakeClock(dataset.NOW)
    config = load_config(None, data_dir=tmp_path / "data", environ={})
    store = FeedbackStore(config.data_dir, clock=clock)

    def put(rating_id: str, minutes_ago: int, **fields: object) -> None:
        fields.setdefault("channel", Channel.KIOSK)
        when = clock.now - timedelta(minutes=minutes_ago)
        store.record_rating(Rating(id=rating_id, ts=when, outcome=Outcome.BELOW, **fields), now=when)  # type: ignore[arg-type]

    put("waiting", 1, station="front", staff="ann", reasons=("wait time",), customer_waiting=True)
    put("late", 22, station="front", staff="bob", reasons=("rude",), contact=Contact("+15555550123"))
    put(
        "sms",
        12,
        channel=Channel.SMS,
        station="drive-in",
        reasons=("price", "quality"),
        comment="The coffee was cold and the price went up again",
        contact=Contact("+447700900123"),
    )
    put("fresh", 0, station="back", staff="cy")
    put("done", 30, station="front")
    store.claim("fu-late", "dee")
    store.escalate("fu-late")
    store.resolve("fu-done", Resolution.RECOVERED, by="dee", note="gave a voucher")
    return ManagerApp(config, name="dee", clock=clock)


def stats_app(tmp_path: Path) -> ManagerApp:
    config = load_config(None, data_dir=tmp_path / "data", environ={})
    config = type(config)(**{**{f: getattr(config, f) for f in config.__slots__}, "timezone": dataset.ZONE})
    dataset.build(FeedbackStore(config.data_dir))
    return ManagerApp(config, name="dee", clock=FakeClock(dataset.NOW))


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_queue_snapshot(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(queue_app(tmp_path), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_stats_snapshot(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(stats_app(tmp_path), terminal_size=size, press=["s"])


def test_stats_last_seven_days_snapshot(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(stats_app(tmp_path), terminal_size=(160, 48), press=["s", "t"])


def test_resolve_dialog_snapshot(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(queue_app(tmp_path), terminal_size=(80, 24), press=["down", "r", "1"])


def test_resolved_list_snapshot(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(queue_app(tmp_path), terminal_size=(120, 24), press=["h"])
