"""Signatures behind a reverse proxy, through the real server: waitress applies ``X-Forwarded-*`` only
from the trusted proxy's address, so Twilio's signature is checked against the public https URL and a
client cannot choose that URL with headers of its own."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from calls import call
from sync_helpers import ServerProcess, write_config
from twilio.request_validator import RequestValidator

pytestmark = pytest.mark.slow

AUTH_TOKEN = "t" * 32  # ServerProcess's TWILIO_AUTH_TOKEN
SHOP = "shop.example.org"
_sids = itertools.count(1)


def text(body: str = "3") -> dict[str, str]:
    return {"MessageSid": f"SM{next(_sids):032x}", "From": "+14155550123", "To": "+15005550006", "Body": body}


def signed(url: str, params: dict[str, str], **headers: str) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, params), **headers}


def forwarded(host: str = SHOP, proto: str = "https") -> dict[str, str]:
    return {"X-Forwarded-Proto": proto, "X-Forwarded-Host": host}


def behind_proxy(folder: Path, toml: str) -> ServerProcess:
    """Without PUBLIC_URL; ``{port}`` in ``toml`` is the server's own port."""
    server = ServerProcess(folder)
    write_config(folder, toml.replace("{port}", str(server.port)))
    del server.env["PUBLIC_URL"]
    server.start()
    return server


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[ServerProcess]:
    """The "proxy" is this test, on 127.0.0.1, the address the server trusts."""
    server = behind_proxy(tmp_path, "[sms]\ntrusted_proxies = 1\n")
    try:
        yield server
    finally:
        server.kill()


def test_a_genuine_text_through_the_proxy_is_accepted(proxied: ServerProcess) -> None:
    params = text()
    headers = signed(f"https://{SHOP}/sms", params, **forwarded())
    status, _ = call(proxied.url + "/sms", method="POST", form=params, headers=headers)
    assert status == 200


def test_a_signature_for_another_url_is_refused_and_the_log_names_the_url_checked(proxied: ServerProcess) -> None:
    params = text()
    # Signed for the public URL, but the forwarded host says another site: the URLs differ.
    headers = signed(f"https://{SHOP}/sms", params, **forwarded("other.example.net"))
    assert call(proxied.url + "/sms", method="POST", form=params, headers=headers)[0] == 403
    # Signed for the public URL, sent without the proxy's headers: checked against http://127.0.0.1.
    assert (
        call(proxied.url + "/sms", method="POST", form=params, headers=signed(f"https://{SHOP}/sms", params))[0] == 403
    )
    log = proxied.log.read_text(encoding="utf-8")
    assert "invalid signature for https://other.example.net/sms" in log
    assert f"invalid signature for http://127.0.0.1:{proxied.port}/sms" in log


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(tmp_path: Path) -> None:
    """The proxy is elsewhere (10.0.0.7): a client on 127.0.0.1 cannot pose as it with headers of its own."""
    server = behind_proxy(tmp_path, '[sms]\ntrusted_proxies = 1\nproxy_address = "10.0.0.7"\n')
    try:
        params = text()
        headers = signed(f"https://{SHOP}/sms", params, **forwarded())
        assert call(server.url + "/sms", method="POST", form=params, headers=headers)[0] == 403
    finally:
        server.kill()


def test_allowed_hosts_refuse_a_replay_signed_for_another_host(tmp_path: Path) -> None:
    """A text signed for another URL of the same Twilio account, replayed with that Host, is refused."""
    server = behind_proxy(tmp_path, f'[sms]\nallowed_hosts = ["{SHOP}:{{port}}"]\n')
    try:
        own = text()
        url = f"http://{SHOP}:{server.port}/sms"
        headers = signed(url, own, Host=f"{SHOP}:{server.port}")
        assert call(server.url + "/sms", method="POST", form=own, headers=headers)[0] == 200
        replay = text()
        other = "other-shop.example.net"
        headers = signed(f"http://{other}/sms", replay, Host=other)
        assert call(server.url + "/sms", method="POST", form=replay, headers=headers)[0] == 403
        assert f"host {other} is not in [sms] allowed_hosts (checked http://{other}/sms)" in server.log.read_text()
    finally:
        server.kill()


def test_with_public_url_a_replay_with_a_chosen_host_is_refused(tmp_path: Path) -> None:
    """The attack of issue 11: a text signed for another URL of the same account, replayed with that Host."""
    server = ServerProcess(tmp_path)  # PUBLIC_URL https://feedback.example.com
    server.start()
    try:
        replay = text()
        headers = signed("https://other-shop.example.net/sms", replay, Host="other-shop.example.net")
        assert call(server.url + "/sms", method="POST", form=replay, headers=headers)[0] == 403
        assert "invalid signature for https://feedback.example.com/sms" in server.log.read_text(encoding="utf-8")
        genuine = text()
        headers = signed("https://feedback.example.com/sms", genuine, Host="other-shop.example.net")
        assert call(server.url + "/sms", method="POST", form=genuine, headers=headers)[0] == 200
    finally:
        server.kill()
