"""The [kiosk] table: typed, validated, every customer text overridable."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from textual.widgets import Static

from kiosk.settings import DEFAULT_REASONS, load_kiosk_settings
from shared.config import Config, ConfigError

from .conftest import wait_for


def test_defaults(make_config, data_dir):
    settings = load_kiosk_settings(make_config())
    assert settings.station == "counter" and settings.station_code == "counter"
    assert dict(settings.reasons) == DEFAULT_REASONS
    assert settings.outbox_dir == data_dir / "outbox" / "counter"
    assert settings.lock and settings.staff_key == "f12" and settings.theme == "textual-dark"
    assert settings.texts.question == "Did we meet your expectations today?"


def test_station_from_the_command_line_wins(make_config, data_dir):
    settings = load_kiosk_settings(make_config(station="front", station_code="f1"), station="Drive Thru 2")
    assert settings.station == "Drive Thru 2" and settings.station_code == "f1"
    assert settings.outbox_dir == data_dir / "outbox" / "Drive_Thru_2"
    assert load_kiosk_settings(make_config(), station="Drive Thru 2").station_code == "drive-thru-2"


def test_everything_can_be_configured(make_config, tmp_path):
    settings = load_kiosk_settings(
        make_config(
            general={"phone_region": "FR"},
            reasons={"attente": "Attente", "prix": "Prix"},
            staff=["Ana", "Bo"],
            sms_number="06 12 34 56 78",
            burst_limit=6,
            burst_window_seconds=30,
            theme="light",
            outbox_dir=str(tmp_path / "elsewhere"),
            texts={"question": "Avons-nous répondu à vos attentes ?", "below": "Déçu"},
        )
    )
    assert list(settings.reasons) == ["attente", "prix"]
    assert settings.staff == ("Ana", "Bo")
    assert settings.sms_number == "+33612345678"
    assert settings.burst_limit == 6 and settings.burst_window == timedelta(seconds=30)
    assert settings.theme == "textual-light"
    assert settings.outbox_dir == tmp_path / "elsewhere"
    assert settings.texts.below == "Déçu" and settings.texts.met == "Met"


def test_reasons_as_a_plain_list(make_config):
    assert dict(load_kiosk_settings(make_config(reasons=["Queue", "Noise"])).reasons) == {
        "Queue": "Queue",
        "Noise": "Noise",
    }


@pytest.mark.parametrize(
    ("kiosk", "message"),
    [
        ({"colour": "red"}, "unknown setting"),
        ({"texts": {"questoin": "?"}}, "unknown text"),
        ({"texts": {"question": ""}}, "non-empty"),
        ({"sms_number": "12"}, "sms_number"),
        ({"theme": "pink"}, "theme"),
        ({"station_code": "#1 desk"}, "station_code"),
        ({"burst_limit": 0}, "burst_limit"),
        ({"lock": "no"}, "lock"),
        ({"step_timeout_seconds": -1}, "step_timeout_seconds"),
        ({"reasons": []}, "reasons"),
        ({"staff": ["Ana", 3]}, "staff"),
    ],
)
def test_mistakes_are_reported_at_start(make_config, kiosk, message):
    with pytest.raises(ConfigError, match=message):
        load_kiosk_settings(make_config(**kiosk))


def test_pin_hash_may_come_from_the_environment(make_config, pin_hash):
    config = dataclasses.replace(make_config(), env={"FEEDBACK_KIOSK_PIN_HASH": pin_hash})
    assert load_kiosk_settings(config).pin_hash == pin_hash


@pytest.mark.parametrize(
    "stored",
    [
        "scrypt$16384$8$1$…",  # the README's placeholder, pasted as it was
        "scrypt$16384$8$1$00112233",  # a field short
        "2468",
        "scrypt$16384$8$1$zz$" + "00" * 32,  # not hex
        "md5$16384$8$1$" + "00" * 16 + "$" + "00" * 32,
        "scrypt$1000$8$1$" + "00" * 16 + "$" + "00" * 32,  # n not a power of two
        "scrypt$1048576$64$1$" + "00" * 16 + "$" + "00" * 32,  # 8 GiB to check one PIN
        "scrypt$16384$8$1$$" + "00" * 32,  # no salt
    ],
)
def test_a_bad_pin_hash_stops_the_start_naming_the_setting_and_the_fix(make_config, stored):
    with pytest.raises(ConfigError, match=r"^\[kiosk\] pin_hash is not a valid staff PIN hash: .*`feedback kiosk-pin`"):
        load_kiosk_settings(make_config(pin_hash=stored))
    environment = dataclasses.replace(make_config(), env={"FEEDBACK_KIOSK_PIN_HASH": stored})
    with pytest.raises(ConfigError, match=r"^\$FEEDBACK_KIOSK_PIN_HASH is not a valid"):
        load_kiosk_settings(environment)


async def test_the_screen_says_what_the_configuration_says(make_app):
    app = make_app(texts={"question": "¿Cumplimos sus expectativas?", "met": "Cumplió"}, theme="light")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen is app.idle)
        assert str(app.screen.query_one("#question", Static).render()) == "¿Cumplimos sus expectativas?"
        assert "Cumplió" in str(app.screen.query_one("#met").render())
        assert app.theme == "textual-light" and not app.current_theme.dark


async def test_qr_code_shows_when_it_fits(make_app):
    app = make_app(sms_number="+14155550134", station="front")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen is app.idle)
        await pilot.pause()
        assert app.screen.query_one("#qr-panel").display
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert not app.screen.query_one("#qr-panel").display


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"station": "S" * 101}, "station name"),
        ({"staff": ["Ana", "B" * 101]}, "[kiosk] staff"),
        ({"reasons": {"k" * 65: "Label"}}, "[kiosk] reasons"),
    ],
)
def test_names_longer_than_the_store_keeps_stop_the_start(tmp_path, table, named):
    """A kiosk whose every answer the store would refuse must not start."""
    config = Config(data_dir=tmp_path, sections={"kiosk": table})
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_kiosk_settings(config)
