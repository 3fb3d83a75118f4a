"""Fixtures for the SMS channel: a real store in tmp_path, the real Flask app, signed requests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).parent))  # fake_twilio and sms_helpers (fake_twilio is reused by issue 6)

from fake_twilio import FakeTwilio
from sms_helpers import ACCOUNT_SID, CUSTOMER, SHOP_NUMBER, Clock, Texter, write_config

from server.app import create_app
from shared.config import Config
from shared.store import FeedbackStore


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def twilio_env(fake_twilio: FakeTwilio) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_FROM_NUMBER": SHOP_NUMBER,
        "TWILIO_API_BASE": fake_twilio.url,
        "PUBLIC_URL": "https://feedback.example.com",
    }


@pytest.fixture
def config(tmp_path: Path, twilio_env: dict[str, str]) -> Config:
    return write_config(tmp_path, '[alerts]\nmanagers = ["+14155550100"]\n', **twilio_env)


@pytest.fixture
def store(config: Config, clock: Clock) -> FeedbackStore:
    return FeedbackStore(config.data_dir, followup_target=config.followup_target, clock=clock)


@pytest.fixture
def app(config: Config, store: FeedbackStore, clock: Clock) -> Flask:
    app = create_app(config, store=store, clock=clock)
    app.testing = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def texter(client: FlaskClient) -> Texter:
    return Texter(client)


@pytest.fixture
def send_prompt(app: Flask) -> Callable[..., Any]:
    def send(phone: str = CUSTOMER, **details: str) -> Any:
        return app.extensions["sms"].prompter.send_prompt(phone, **details)

    return send
