"""SMS settings: defaults that fit one GSM-7 segment, overrides, and clear configuration errors."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest
from sms_helpers import write_config

from shared.config import ConfigError
from sms.settings import (
    BUSINESS_NAME_BUDGET,
    CUSTOMER_TEXTS,
    DEFAULT_TEXTS,
    QuietHours,
    gsm7_length,
    load_sms_config,
)


@pytest.mark.parametrize("name", CUSTOMER_TEXTS)
def test_default_customer_texts_fit_one_gsm7_segment(name: str) -> None:
    filled = DEFAULT_TEXTS[name].format(business="B" * BUSINESS_NAME_BUDGET)
    length = gsm7_length(filled)
    assert length is not None, f"{name} has a character outside GSM-7 (emoji, curly quotes): {filled!r}"
    assert length <= 160, f"{name} is {length} characters"


def test_gsm7_length_counts_extension_characters_twice_and_refuses_emoji() -> None:
    assert gsm7_length("abc") == 3
    assert gsm7_length("[x]") == 5
    assert gsm7_length("it’s") is None
    assert gsm7_length("great 👍") is None


def test_question_names_the_business_and_how_to_opt_out(tmp_path: Path) -> None:
    settings = load_sms_config(write_config(tmp_path))
    question = settings.text("question")
    assert "Corner Cafe" in question and "STOP" in question and "1" in question and "3" in question


def test_every_setting_is_read(tmp_path: Path) -> None:
    toml = """
[sms]
from_number = "(202) 555-0188"
cooling_off_hours = 12
quiet_hours = "22:30-07:00"
prompt_expiry_hours = 24
comment_window_minutes = 10
rate_limit_per_minute = 5
trusted_proxies = 1
[sms.texts]
thanks_met = "Thanks from {business}!"
[sms.stations]
Front-Desk = "Front desk"
[alerts]
managers = ["+1 415 555 0100"]
escalation = ["+12125550199"]
max_age_minutes = 30
"""
    settings = load_sms_config(write_config(tmp_path, toml, TWILIO_ACCOUNT_SID="AC1", PUBLIC_URL="https://x.org/"))
    assert settings.from_number == "+12025550188"
    assert settings.cooling_off == timedelta(hours=12)
    assert settings.quiet_hours == QuietHours(time(22, 30), time(7, 0))
    assert (settings.prompt_expiry, settings.comment_window) == (timedelta(hours=24), timedelta(minutes=10))
    assert (settings.rate_limit_per_minute, settings.trusted_proxies) == (5, 1)
    assert settings.text("thanks_met") == "Thanks from Corner Cafe!"
    assert settings.station_for_code("front-desk") == "Front desk"
    assert settings.managers == ("+14155550100",) and settings.escalation_contacts == ("+12125550199",)
    assert settings.alert_max_age == timedelta(minutes=30)
    assert settings.public_url == "https://x.org" and settings.can_send


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[sms]\ncooling_off = 3\n", "unknown setting"),
        ('[sms]\nquiet_hours = "late"\n', "quiet_hours"),
        ('[sms.texts]\nquestion = "Hi {name}"\n', "unknown placeholder"),
        ('[sms.texts]\ngoodbye = "Bye"\n', "no text called"),
        ('[alerts]\nmanagers = ["12"]\n', "[alerts] managers"),
        ("[sms]\nrate_limit_per_minute = 0\n", "rate_limit_per_minute"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_sms_config(write_config(tmp_path, toml))


def test_quiet_hours_span_midnight() -> None:
    quiet = QuietHours(time(21), time(8))
    assert quiet.contains(time(23)) and quiet.contains(time(7, 59)) and not quiet.contains(time(12))
    assert not QuietHours(time(0), time(0)).contains(time(3))
