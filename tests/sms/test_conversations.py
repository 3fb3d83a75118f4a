"""Pure sending and conversation rules, each with its clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sms.conversations import Conversation, RateLimiter, Refusal, prompt_refusal
from sms.settings import QuietHours, SmsConfig

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SETTINGS = SmsConfig(zone=ZoneInfo("America/New_York"), quiet_hours=QuietHours(time(21), time(8)))


@pytest.mark.parametrize(
    ("now", "opted_out", "last", "refusal"),
    [
        (NOON, False, None, Refusal.QUIET_HOURS),  # 07:00 in New York
        (NOON + timedelta(hours=2), False, None, None),
        (NOON + timedelta(hours=2), True, None, Refusal.OPTED_OUT),
        (NOON + timedelta(hours=2), False, NOON - timedelta(hours=20), Refusal.COOLING_OFF),
        (NOON + timedelta(hours=2), False, NOON - timedelta(hours=22), None),
        (NOON + timedelta(hours=15), False, None, Refusal.QUIET_HOURS),  # 22:00 in New York
    ],
)
def test_prompt_refusal(now: datetime, opted_out: bool, last: datetime | None, refusal: Refusal | None) -> None:
    assert prompt_refusal(SETTINGS, now, opted_out=opted_out, last_prompted=last) == refusal


def test_conversation_expiry_and_comment_window() -> None:
    conversation = Conversation.open("+12025550143", "p-1", NOON, timedelta(hours=48))
    assert not conversation.is_expired(NOON + timedelta(hours=47)) and conversation.is_expired(
        NOON + timedelta(hours=48)
    )
    rated = conversation.rated("SM1", NOON).waiting_for_comment(NOON + timedelta(minutes=30))
    assert rated.awaits_comment(NOON + timedelta(minutes=29)) and not rated.awaits_comment(NOON + timedelta(minutes=30))
    assert Conversation.from_record(rated.to_record()) == rated


def test_rate_limiter_is_a_sliding_window_per_number() -> None:
    limiter = RateLimiter(3)
    assert [limiter.allow("a", NOON + timedelta(seconds=s)) for s in (0, 10, 20, 30)] == [True, True, True, False]
    assert limiter.allow("b", NOON + timedelta(seconds=30))
    assert limiter.allow("a", NOON + timedelta(seconds=60))
