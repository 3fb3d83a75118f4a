"""A local stand-in for Twilio's REST Messages endpoint: a real HTTP server on 127.0.0.1.

Point the real ``twilio.rest.Client`` at it (``TWILIO_API_BASE=<url>`` for the app, or
``sms.sender.RedirectingHttpClient(url)``). It records every message POSTed, answers like
Twilio (201 with a JSON message resource), and refuses numbers in ``opted_out`` with
Twilio's error 21610. Reusable: ``with FakeTwilio() as twilio: ...``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")


@dataclass
class SentMessage:
    account: str
    to: str
    body: str
    from_: str = ""
    messaging_service_sid: str = ""
    status_callback: str = ""
    auth_user: str = ""
    sid: str = ""


@dataclass
class FakeTwilio:
    opted_out: set[str] = field(default_factory=set)
    messages: list[SentMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                found = MESSAGES_PATH.match(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                if not found:
                    return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                user = ""
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
                to = form.get("To", "")
                if to in fake.opted_out:
                    return self._answer(
                        400,
                        {
                            "code": 21610,
                            "message": "Attempt to send to unsubscribed recipient",
                            "more_info": "https://www.twilio.com/docs/errors/21610",
                            "status": 400,
                        },
                    )
                sid = f"SM{uuid.uuid4().hex}"
                message = SentMessage(
                    account=found.group("account"),
                    to=to,
                    body=form.get("Body", ""),
                    from_=form.get("From", ""),
                    messaging_service_sid=form.get("MessagingServiceSid", ""),
                    status_callback=form.get("StatusCallback", ""),
                    auth_user=user,
                    sid=sid,
                )
                with fake._changed:
                    fake.messages.append(message)
                    fake._changed.notify_all()
                self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": message.account,
                        "to": to,
                        "from": message.from_ or None,
                        "messaging_service_sid": message.messaging_service_sid or None,
                        "body": message.body,
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "uri": f"/2010-04-01/Accounts/{message.account}/Messages/{sid}.json",
                    },
                )

            def _answer(self, status: int, payload: dict[str, object]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: tests read ``messages`` instead

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """Block until at least ``count`` messages arrived (or fail after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} texts at the fake Twilio, got {len(self.messages)}")
                self._changed.wait(left)
            return list(self.messages)

    def to(self, number: str) -> list[SentMessage]:
        with self._changed:
            return [message for message in self.messages if message.to == number]
