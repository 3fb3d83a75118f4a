"""Where a remote client (a kiosk or a managers' console on another machine) finds the server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.config import Config, ConfigError


def remote_endpoint(
    config: Config, *, server: str | None, token: str | None, token_env: str, who: str
) -> tuple[str, str] | None:
    """``(server URL, token)`` from ``--server``/``--token`` over ``[sync] server`` and ``$token_env``.

    None when no server is given (the client then uses the local store); a server without a
    token, or one that is not an http(s) URL, is a configuration error naming what to fix.
    """
    table: Mapping[str, Any] = config.section("sync")
    server = (server or str(table.get("server", ""))).strip().rstrip("/")
    if not server:
        return None
    if not server.startswith(("http://", "https://")):
        raise ConfigError(f"the sync server must be a URL such as https://feedback.example.com, not {server!r}")
    token = (token or config.env.get(token_env, "")).strip()
    if not token:
        raise ConfigError(f"a remote {who} needs its token: --token or ${token_env} (from `feedback token`)")
    return server, token
