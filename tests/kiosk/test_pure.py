"""The kiosk's pure parts: bursts, PINs, the QR link and drawing, the flow table, today's counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kiosk.burst import BurstDetector
from kiosk.flow import Step, first_step, next_step
from kiosk.inactivity import Inactivity
from kiosk.pin import InvalidPin, InvalidPinHash, hash_pin, verify_pin
from kiosk.qr import half_block_lines, qr_matrix, sms_link, station_code
from kiosk.today import today_counts
from shared.ratings import Channel, Outcome, Rating
from shared.summary import summarise

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_taps_beyond_the_limit_within_the_window_are_suspect():
    bursts = BurstDetector(limit=3, window=timedelta(seconds=10))
    results = [bursts.tap(T0 + timedelta(seconds=s)) for s in (0, 1, 2, 3, 4)]
    assert results == [False, False, False, True, True]


def test_taps_spread_over_the_window_are_not_suspect():
    bursts = BurstDetector(limit=2, window=timedelta(seconds=10))
    assert not any(bursts.tap(T0 + timedelta(seconds=s)) for s in (0, 6, 12, 18, 24, 30))


def test_a_burst_ends_once_the_window_has_passed():
    bursts = BurstDetector(limit=1, window=timedelta(seconds=10))
    assert [bursts.tap(T0 + timedelta(seconds=s)) for s in (0, 1, 2, 12, 25)] == [False, True, True, False, False]


def test_pin_hash_is_salted_and_verifies_only_the_right_pin():
    first, second = hash_pin("4821"), hash_pin("4821")
    assert first != second and "4821" not in first
    assert verify_pin("4821", first) and verify_pin("4821", second)
    assert not verify_pin("4822", first)
    assert not verify_pin("", first)


@pytest.mark.parametrize("pin", ["123", "12a4", "１２３４", "1234567890123"])
def test_unusable_pins_are_refused(pin):
    with pytest.raises(InvalidPin):
        hash_pin(pin)


@pytest.mark.parametrize("stored", ["", "1234", "md5$x", "scrypt$16384$8$1$zz$00", "scrypt$1$8$1$00$00"])
def test_a_damaged_pin_hash_says_how_to_fix_it(stored):
    with pytest.raises(InvalidPinHash, match=r"kiosk-pin|new one"):
        verify_pin("1234", stored)


def test_a_key_restarts_the_whole_timeout_from_that_moment():
    waiting = Inactivity(20)
    waiting.touch(T0)
    waiting.touch(T0 + timedelta(seconds=15))  # a key at 15 s
    assert not waiting.expired(T0 + timedelta(seconds=34.9))
    assert waiting.expired(T0 + timedelta(seconds=35))  # not 40


def test_a_clock_set_back_restarts_the_wait_instead_of_holding_the_screen():
    waiting = Inactivity(20)
    waiting.touch(T0)
    assert not waiting.expired(T0 - timedelta(hours=1))
    assert waiting.expired(T0 - timedelta(hours=1) + timedelta(seconds=20))


def test_sms_link_works_on_ios_and_android():
    assert sms_link("+14155550134", "Feedback #front-desk") == "sms:+14155550134?&body=Feedback%20%23front-desk"


@pytest.mark.parametrize(
    ("station", "code"), [("Front Desk 2", "front-desk-2"), ("  Café!  ", "caf"), ("2nd floor", "s-2nd-floor")]
)
def test_station_codes_match_the_sms_posters(station, code):
    assert station_code(station) == code


def test_half_blocks_keep_every_module():
    matrix = qr_matrix(sms_link("+14155550134", "FRONT"))
    lines = half_block_lines(matrix)
    assert len(lines) == (len(matrix) + 1) // 2 and {len(line) for line in lines} == {len(matrix)}
    decode = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}
    rows = [[decode[c][half] for c in line] for line in lines for half in (0, 1)]
    assert rows[: len(matrix)] == matrix
    assert not any(matrix[0]) and not any(row[0] for row in matrix)  # quiet zone


def test_flow_table():
    assert first_step(Outcome.BELOW, has_staff=True) is Step.REASONS
    assert first_step(Outcome.MET, has_staff=True) is Step.THANKS
    assert first_step(Outcome.EXCEEDED, has_staff=True) is Step.SHOUTOUT
    assert first_step(Outcome.EXCEEDED, has_staff=False) is Step.THANKS
    steps, step = [], Step.REASONS
    while step is not None:
        steps.append(step)
        step = next_step(step)
    assert steps == [Step.REASONS, Step.MANAGER_NOW, Step.PHONE, Step.THANKS]
    assert next_step(Step.SHOUTOUT) is Step.THANKS


def test_today_counts_cut_at_the_shops_midnight():
    zone = ZoneInfo("America/New_York")  # UTC-5 in November
    ratings = [
        Rating(
            id="a", ts=datetime(2026, 11, 24, 4, 30, tzinfo=UTC), channel=Channel.KIOSK, outcome="met"
        ),  # 23:30 on the 23rd
        Rating(id="b", ts=datetime(2026, 11, 24, 5, 30, tzinfo=UTC), channel=Channel.KIOSK, outcome="below"),
        Rating(id="c", ts=datetime(2026, 11, 25, 2, 0, tzinfo=UTC), channel=Channel.KIOSK, outcome="exceeded"),
        Rating(id="d", ts=datetime(2026, 11, 24, 6, 0, tzinfo=UTC), channel=Channel.KIOSK, outcome="met", suspect=True),
        Rating(id="e", ts=datetime(2026, 11, 25, 5, 0, tzinfo=UTC), channel=Channel.KIOSK, outcome="met"),  # the 25th
    ]
    summaries = {day: summarise(r for r in ratings if r.day == day) for day in ("2026-11-24", "2026-11-25")}
    counts = today_counts(summaries, datetime(2026, 11, 24, 17, 0, tzinfo=UTC), zone)
    assert (counts.below, counts.met, counts.exceeded, counts.suspect) == (1, 0, 1, 1)
    assert counts.answers == 2


def test_pin_guard_locks_after_a_run_of_wrong_pins_and_doubles_each_time():
    from datetime import UTC, datetime, timedelta

    from kiosk.pin import PinGuard

    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    guard = PinGuard(limit=3, lockout=timedelta(minutes=5), longest=timedelta(minutes=15))
    for _ in range(3):
        assert guard.allows(now)
        guard.failed(now)
    assert not guard.allows(now + timedelta(minutes=4)) and guard.allows(now + timedelta(minutes=5))
    for _ in range(3):
        guard.failed(now)
    assert not guard.allows(now + timedelta(minutes=9)) and guard.allows(now + timedelta(minutes=10))
    for _ in range(6):
        guard.failed(now)
    assert guard.allows(now + timedelta(minutes=15))  # capped at `longest`
    guard.succeeded()
    assert guard.allows(now) and guard.failures == 0
