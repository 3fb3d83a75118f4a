"""The console sender, Twilio's client pointed at the local fake, and the QR code's link (posters: test_poster)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fake_twilio import FakeTwilio
from sms_helpers import CUSTOMER

from sms.qr import PosterError, poster_link, station_code, write_code
from sms.sender import ConsoleSender, SendFailed, TwilioSender
from sms.settings import SmsConfig


def test_console_sender_prints_clearly_marked_and_masked() -> None:
    out = io.StringIO()
    sent = ConsoleSender(out).send(CUSTOMER, "Did we meet your expectations?")
    printed = out.getvalue()
    assert "NOT SENT" in printed and "+1 ••••••••43" in printed and "2025550143" not in printed
    assert sent.sid.startswith("CONSOLE")


def test_twilio_sender_uses_the_messaging_service_when_no_number(fake_twilio: FakeTwilio) -> None:
    settings = SmsConfig(account_sid="AC9", auth_token="t", messaging_service_sid="MG1", api_base=fake_twilio.url)
    TwilioSender(settings).send(CUSTOMER, "hello")
    [sent] = fake_twilio.messages
    assert (sent.messaging_service_sid, sent.from_, sent.account) == ("MG1", "", "AC9")


def test_twilio_error_21610_is_reported_as_opted_out(fake_twilio: FakeTwilio) -> None:
    fake_twilio.opted_out.add(CUSTOMER)
    settings = SmsConfig(account_sid="AC9", auth_token="t", from_number="+15005550006", api_base=fake_twilio.url)
    with pytest.raises(SendFailed) as failure:
        TwilioSender(settings).send(CUSTOMER, "hello")
    assert failure.value.opted_out and "2025550143" not in str(failure.value)


@pytest.mark.parametrize(
    ("name", "code"), [("Front desk", "front-desk"), ("Till #2", "till-2"), ("2nd floor", "s-2nd-floor")]
)
def test_station_codes(name: str, code: str) -> None:
    assert station_code(name) == code


def test_qr_link_prefills_the_station_code() -> None:
    assert poster_link("+15005550006", "Front desk") == "sms:+15005550006?&body=Feedback%20%23front-desk"


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_bare_code_is_written(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"code{suffix}"
    write_code(path, poster_link("+15005550006", "Front desk"))
    content = path.read_bytes()
    assert content.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in content


def test_qr_refuses_unknown_formats_missing_numbers_and_codeless_stations(tmp_path: Path) -> None:
    with pytest.raises(PosterError, match=r"\.png or \.svg"):
        write_code(tmp_path / "code.jpg", "sms:+15005550006")
    with pytest.raises(PosterError, match="TWILIO_FROM_NUMBER"):
        poster_link("", "Front desk")
    with pytest.raises(PosterError, match="no letters or digits"):
        poster_link("+15005550006", "!!!")
    assert not list(tmp_path.iterdir())
