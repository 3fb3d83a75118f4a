"""A customer who keeps changing a rating with words: the comment is capped where the store caps it,
so the twentieth change is answered like the first (it used to be refused, 2,000 characters in)."""

from __future__ import annotations

from pathlib import Path

from sms_helpers import Clock, Texter, write_config

from server.app import create_app
from shared.ratings import COMMENT_CHARS
from shared.store import FeedbackStore
from sms.settings import DEFAULT_TEXTS

PRAISE = "the coffee was hot and the staff were quick and kind " * 2


def test_many_changes_with_words_keep_being_answered(tmp_path: Path, clock: Clock, twilio_env: dict[str, str]) -> None:
    config = write_config(
        tmp_path, "[sms]\ncorrection_window_minutes = 60\nrate_limit_per_minute = 100\n", **twilio_env
    )
    store = FeedbackStore(config.data_dir, clock=clock)
    texter = Texter(create_app(config, store=store, clock=clock).test_client())
    thanks = DEFAULT_TEXTS["thanks_exceeded"].format(business="Corner Cafe")
    for _ in range(25):
        clock.advance(seconds=30)
        assert texter.reply_of(f"3 {PRAISE}") == thanks
    [rating] = store.ratings()
    assert len(rating.comment) == COMMENT_CHARS
    assert rating.comment.startswith(PRAISE.strip())
