"""Outbound texts: through Twilio's REST API, or printed to the console without credentials.

Both senders take an E.164 number and a body and return the message's sid; a refusal
by Twilio raises :class:`SendFailed` with Twilio's error code (21610: the number opted out
upstream), so the caller can record it.
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from dataclasses import dataclass
from typing import Protocol, TextIO

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from shared.phones import mask_phone
from sms.settings import SmsConfig

log = logging.getLogger("sms.sender")

TWILIO_API = "https://api.twilio.com"
OPTED_OUT_UPSTREAM = 21610  # Twilio: "Attempt to send to unsubscribed recipient"


class SendFailed(Exception):
    """A text could not be sent; ``code`` is Twilio's error code when it gave one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code

    @property
    def opted_out(self) -> bool:
        return self.code == OPTED_OUT_UPSTREAM


@dataclass(frozen=True, slots=True)
class Sent:
    sid: str
    status: str


class Sender(Protocol):
    def send(self, to: str, body: str, *, status_callback: str | None = None) -> Sent: ...


class RedirectingHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, pointed at another base URL (a local stand-in, in tests and benchmarks)."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> Response:  # type: ignore[override]
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


class TwilioSender:
    """Sends with ``twilio.rest.Client`` from the configured number or messaging service."""

    def __init__(self, settings: SmsConfig, timeout: float = 10.0) -> None:
        self.settings = settings
        http_client = (
            RedirectingHttpClient(settings.api_base, timeout)
            if settings.api_base
            else TwilioHttpClient(timeout=timeout)
        )
        # ``environment`` stops the client reading os.environ itself (TWILIO_EDGE/REGION).
        self.client = Client(
            settings.account_sid,
            settings.auth_token,
            http_client=http_client,
            environment={"TWILIO_EDGE": "", "TWILIO_REGION": ""},
        )
        self._lock = threading.Lock()  # requests.Session is not documented as thread-safe

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> Sent:
        origin = (
            {"from_": self.settings.from_number}
            if self.settings.from_number
            else {"messaging_service_sid": self.settings.messaging_service_sid}
        )
        extra = {"status_callback": status_callback} if status_callback else {}
        try:
            with self._lock:
                message = self.client.messages.create(to=to, body=body, **origin, **extra)
        except TwilioRestException as error:
            log.warning("Twilio refused a text to %s: error %s", mask_phone(to), error.code)
            raise SendFailed(
                f"Twilio refused the text to {mask_phone(to)}: {error.msg} (error {error.code})", error.code
            ) from None
        except (TwilioException, OSError) as error:
            raise SendFailed(f"could not reach Twilio to text {mask_phone(to)}: {type(error).__name__}") from None
        return Sent(sid=str(message.sid), status=str(message.status))


class ConsoleSender:
    """Without Twilio credentials: prints what would be sent, clearly marked, the number masked."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out
        self._lock = threading.Lock()

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> Sent:
        sid = f"CONSOLE{uuid.uuid4().hex}"
        with self._lock:
            print(
                f"[NOT SENT - console sender, no Twilio credentials] to {mask_phone(to)}: {body}",
                file=self.out or sys.stdout,
                flush=True,
            )
        return Sent(sid=sid, status="console")


def sender_for(settings: SmsConfig) -> Sender:
    """Twilio when credentials are configured, else the console."""
    return TwilioSender(settings) if settings.can_send else ConsoleSender()
