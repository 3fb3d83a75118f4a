"""A kiosk's data and outbox are readable by their owner only, whatever the umask."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.outbox import Operation, Outbox
from tests.modes import UMASKS, not_private, umask

from .conftest import stored, wait_for


@pytest.mark.parametrize("mask", UMASKS, ids=oct)
async def test_a_tap_and_a_queued_answer_leave_only_owner_readable_files(make_app, data_dir: Path, mask: int) -> None:
    with umask(mask):
        app = make_app(thanks_seconds=0.05)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.screen is app.idle)
            await pilot.press("left", "enter")
            await wait_for(pilot, lambda: len(stored(data_dir)) == 1)
            [answer] = stored(data_dir)
            Outbox(app.settings.outbox_dir).add(Operation.RECORD, answer)  # as when the store is busy

    assert list(app.settings.outbox_dir.iterdir()) and (data_dir / ".lock").exists()
    assert not_private(data_dir) == {}
