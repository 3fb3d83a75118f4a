"""Helpers for the SMS tests: numbers, a settable clock, a config writer, signed webhook requests."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from shared.config import Config, load_config

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
API_TOKEN = "till-secret"
SHOP_NUMBER = "+15005550006"
CUSTOMER = "+12025550143"
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the store and the app."""

    def __init__(self, now: datetime = NOON) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def write_config(tmp_path: Path, toml: str = "", **env: str) -> Config:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "feedback.toml"
    path.write_text('business_name = "Corner Cafe"\n' + toml, encoding="utf-8")
    environ = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "FEEDBACK_API_TOKEN": API_TOKEN, **env}
    return load_config(path, data_dir=tmp_path / "data", environ=environ)


_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


class Texter:
    """Sends signed webhook requests the way Twilio does, as if from one customer."""

    def __init__(self, client: FlaskClient, base_url: str = "https://feedback.example.com") -> None:
        self.client = client
        self.base_url = base_url

    def post(self, path: str, params: dict[str, str], *, signature: str | None = None) -> TestResponse:
        headers = {"X-Twilio-Signature": signature if signature is not None else sign(self.base_url + path, params)}
        return self.client.post(path, data=params, headers=headers)

    def text(self, body: str, *, sender: str = CUSTOMER, to: str = SHOP_NUMBER, sid: str | None = None) -> TestResponse:
        params = {"MessageSid": sid or new_sid(), "From": sender, "To": to, "Body": body, "NumMedia": "0"}
        return self.post("/sms", params)

    def reply_of(self, body: str, **kwargs: Any) -> str:
        """The text the customer receives back ('' for none)."""
        response = self.text(body, **kwargs)
        assert response.status_code == 200, response.data
        return twiml_message(response)


def twiml_message(response: TestResponse) -> str:
    root = ElementTree.fromstring(response.data)
    messages = [element.text or "" for element in root.iter("Message")]
    assert len(messages) <= 1
    return messages[0] if messages else ""
