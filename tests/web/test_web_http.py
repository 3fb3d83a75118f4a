"""The web queue's HTTP rules against the real server, without a browser: the cookie's flags behind TLS,
the login limit per address, and the event streams' cap with its poll fallback."""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_helpers import WebServer

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
TOML = (
    "trusted_proxies = 1\n"  # [sms]: the reverse proxy on 127.0.0.1 says whether the phone used TLS
    "[manage]\nlive_streams = 1\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = WebServer(tmp_path_factory.mktemp("web-http"), TOML).start()
    server.add_account("Dee", PASSWORD)
    yield server
    server.stop()


def session_flags(server: WebServer, headers: dict[str, str]) -> set[str]:
    cookies = server.log_in("Dee", PASSWORD, headers).headers.get_all("Set-Cookie") or []
    [session] = [cookie for cookie in cookies if cookie.startswith("feedback_session=")]
    return {part.strip().split("=")[0].lower() for part in session.split(";")[1:]} | {
        part.strip().lower() for part in session.split(";") if part.strip().lower().startswith("samesite")
    }


def test_the_session_cookie_is_http_only_same_site_and_secure_behind_tls(server: WebServer) -> None:
    behind_tls = session_flags(server, {"X-Forwarded-Proto": "https"})
    assert {"httponly", "secure", "samesite=lax"} <= behind_tls
    assert "secure" not in session_flags(server, {})  # plain http on a laptop: a Secure cookie would never return


def test_logins_from_one_address_are_limited(tmp_path: Path) -> None:
    server = WebServer(tmp_path, TOML + "login_attempts_per_minute = 4\n").start()
    try:
        server.add_account("Dee", PASSWORD)
        answers = [server.log_in("Dee", "wrong password!").status for _ in range(4)]
        assert answers == [401, 401, 401, 401]
        limited = server.log_in("Dee", PASSWORD)
        assert limited.status == 429 and "Too many tries" in limited.text  # type: ignore[attr-defined]
    finally:
        server.stop()


def test_past_the_stream_cap_a_page_is_told_to_poll_and_polling_answers_at_once(server: WebServer) -> None:
    cookie = {"Cookie": server.session_cookie("Dee", PASSWORD)}
    parts = urllib.parse.urlsplit(server.url)
    first = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    first.request("GET", "/manage/events", headers=cookie)
    stream = first.getresponse()
    try:
        assert stream.status == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
        assert stream.readline() == b"retry: 1000\n"
        second = server.request("GET", "/manage/events", headers=cookie)
        assert second.status == 503
        rows = server.request("GET", "/manage/rows?v=", headers=cookie)
        version = rows.headers["X-Queue-Version"]
        assert rows.status == 200 and "Nothing to follow up" in rows.text  # type: ignore[attr-defined]
        assert server.request("GET", f"/manage/rows?v={version}", headers=cookie).status == 204
        assert server.text("1 waited ages")[0] == 200
        event = b""
        while not event.startswith(b"data: ") or event.strip() == f"data: {version}".encode():
            event = stream.readline()
        assert "waited ages" in server.request("GET", f"/manage/rows?v={version}", headers=cookie).text  # type: ignore[attr-defined]
    finally:
        first.close()
    assert server.request("GET", "/manage/rows?v=").status == 401  # no cookie


def test_a_live_list_rendered_once_carries_each_sessions_own_csrf_token(server: WebServer) -> None:
    assert server.text("1 the coffee was cold")[0] == 200
    tokens = {}
    for name in ("Dee", "Eli"):
        server.add_account(name, PASSWORD)
        cookie = {"Cookie": server.session_cookie(name, PASSWORD)}
        page = server.request("GET", "/manage/", headers=cookie).text  # type: ignore[attr-defined]
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token is not None
        rows = ""
        deadline = time.monotonic() + 5
        while "coffee was cold" not in rows and time.monotonic() < deadline:  # the watcher's next look
            rows = server.request("GET", "/manage/rows?v=", headers=cookie).text  # type: ignore[attr-defined]
        assert "coffee was cold" in rows and "<csrf>" not in rows
        assert set(re.findall(r'name="csrf" value="([^"]+)"', rows)) == {token.group(1)}
        tokens[name] = token.group(1)
    assert tokens["Dee"] != tokens["Eli"]
