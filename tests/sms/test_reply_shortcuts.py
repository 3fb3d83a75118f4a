"""The reader's shortcuts (fast paths, remembered words and numbers) read every text as the long way does."""

from __future__ import annotations

import dataclasses
import logging
import re
import sys
import tomllib
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sms_helpers import CUSTOMER, NOON, SHOP_NUMBER

from shared.config import Config
from shared.phones import InvalidPhoneNumber, mask_phone, normalise_phone, read_phone
from shared.store import FeedbackStore
from sms.conversations import Conversation
from sms.replies import parse_reply
from sms.replies.message import is_emoji
from sms.responder import Inbound, Responder
from sms.settings import load_sms_config
from sms.words import fold

ROWS = [
    text
    for path in sorted(Path(__file__).parent.glob("replies_cases*.toml"))
    for section in tomllib.loads(path.read_text(encoding="utf-8")).values()
    for text, _ in section["cases"]
]


def folded_the_long_way(text: str) -> str:
    """The definition (README, "How replies are read"): no case, accents or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.sub("['’‘`´]", "", "".join(char for char in decomposed if not unicodedata.combining(char)))


def forget_everything() -> None:
    """Clear every bounded memo of the reader and the phone module, as in a fresh process."""
    for name, module in list(sys.modules.items()):
        if name.startswith(("sms.replies", "sms.words", "shared.phones")):
            for value in vars(module).values():
                if getattr(value, "cache_parameters", None) and value.cache_parameters()["maxsize"] is not None:
                    value.cache_clear()


@given(st.text())
def test_fold_is_the_long_way_for_any_text(text: str) -> None:
    assert fold(text) == folded_the_long_way(text) == fold(text)  # the second time from memory


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_fold_of_ascii_is_the_long_way(text: str) -> None:
    assert fold(text) == folded_the_long_way(text)


@pytest.mark.parametrize("text", ["Don't", "`NO`", "It’S", "Café", "ÉTÉ", "Straße", "ﬁne", "İstanbul", "１２３"])
def test_fold_of_words_people_write(text: str) -> None:
    assert fold(text) == folded_the_long_way(text)


def test_only_short_words_are_remembered() -> None:
    from sms.words import _fold_word

    before = _fold_word.cache_info().currsize
    fold("é" * 5_000)  # a hostile text is folded, not kept
    fold("dépêche-toi " * 100)
    assert _fold_word.cache_info().currsize == before
    assert _fold_word.cache_parameters()["maxsize"] is not None


def test_every_row_reads_the_same_with_nothing_remembered() -> None:
    warm = [parse_reply(text) for text in ROWS[::3]]
    cold = []
    for text in ROWS[::3]:
        forget_everything()
        cold.append(parse_reply(text))
    assert cold == warm


@pytest.mark.parametrize("char", [chr(code) for code in range(128)])
def test_no_ascii_character_is_an_emoji(char: str) -> None:
    assert not is_emoji(char) and not is_emoji(char * 3)


@pytest.mark.parametrize("text", ["👍", "a👍", "⭐", "©"])
def test_pictographs_are_emoji(text: str) -> None:
    assert is_emoji(text)


def test_a_number_read_once_masks_as_mask_phone_does_in_every_region() -> None:
    styles = (
        phonenumbers.PhoneNumberFormat.NATIONAL,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.E164,
    )
    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number(region)
        if example is None:
            continue
        for style in styles:
            written = phonenumbers.format_number(example, style)
            phone = read_phone(written, region.lower())
            assert phone == read_phone(written, region)  # remembered, whatever the region's case
            assert phone.e164 == normalise_phone(written, region)
            assert phone.masked == mask_phone(phone.e164), (region, written)
            checked += 1
    assert checked > 600
    assert read_phone("+39 06 6982 0000").masked == "+39 •••••••00"  # Rome: the leading zero is not counted


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a number", "••••••••••••" + " is not a phone number"),
        ("+1 555 0100", "••••••00 is not a valid phone number"),
        ("+1 202 555 0143" + " " * 100, None),  # too long to remember, read all the same
    ],
)
def test_a_bad_number_is_refused_every_time(text: str, message: str | None) -> None:
    for _ in range(2):  # the second time from memory
        if message is None:
            assert read_phone(text).e164 == "+12025550143"
            continue
        with pytest.raises(InvalidPhoneNumber) as refused:
            normalise_phone(text)
        assert str(refused.value) == message


def test_a_conversation_record_has_every_field_as_asdict_had() -> None:
    full = Conversation(
        phone=CUSTOMER,
        id="p-1",
        opened=NOON,
        expires=NOON + timedelta(hours=48),
        prompt_sid="SM1",
        staff="[bold]ann[/bold]",
        station="front",
        touchpoint="till",
        rating_id="SM2",
        rating_ts=NOON + timedelta(minutes=1),
        comment_until=NOON + timedelta(minutes=31),
        reasked=True,
        commented=True,
        to_read_id="tr-SM3",
    )
    bare = Conversation.open(CUSTOMER, "walk-in-SM9", datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1))
    for conversation in (full, bare):
        expected = dataclasses.asdict(conversation)
        for key in ("opened", "expires", "rating_ts", "comment_until"):
            expected[key] = None if expected[key] is None else expected[key].isoformat()
        record = conversation.to_record()
        assert list(record.items()) == list(expected.items())  # the same keys in the same order
        assert Conversation.from_record(record) == conversation


def test_the_responder_logs_the_sender_masked(
    config: Config, store: FeedbackStore, caplog: pytest.LogCaptureFixture
) -> None:
    responder = Responder(load_sms_config(config), store)
    with caplog.at_level(logging.INFO, logger="sms.responder"):
        handled = responder.handle(Inbound(sid="SMlog1", sender=CUSTOMER, to=SHOP_NUMBER, body="3", received=NOON))
        responder.handle(Inbound(sid="SMlog2", sender="2025550143", to=SHOP_NUMBER, body="great", received=NOON))
    assert handled.action == "rating_recorded"
    lines = [record.getMessage() for record in caplog.records if record.name == "sms.responder"]
    assert lines == [
        "message SMlog1 from +1 ••••••••43: rating_recorded (rating)",
        "message SMlog2 from +1 ••••••••43: rating_updated (words)",
    ]
