"""Client tokens and roles: every till, kiosk and remote console has its own token, with one role.

The server's configuration holds only each token's SHA-256, never the token::

    [sync.clients]
    till2 = { role = "till", sha256 = "…" }      # POST /api/prompts
    front = { role = "kiosk", sha256 = "9f86d081…" }   # POST /api/ratings (its own answers)
    dee = { role = "manager", sha256 = "2c26b46b…" }   # the queue and follow-up actions

Why SHA-256 and not a slow hash such as scrypt (used for the kiosk's PIN): a token is 32
random bytes (256 bits), so no dictionary or brute force can find it from its hash; a slow
hash protects guessable secrets and would only cost time on every request. Comparing with
:func:`hmac.compare_digest` keeps the time taken independent of how much of a guess matched.

Revoking a client is deleting its line and saving the file: the server re-reads the table
when the file's modification time changes, so no restart is needed. A leaked config file
gives away no token. ``FEEDBACK_API_TOKEN`` (the tills' shared token of earlier versions) is
still accepted as the ``till`` client named ``till``, with a warning at start.
"""

from __future__ import annotations

import argparse
import enum
import functools
import hashlib
import hmac
import logging
import re
import secrets
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app, g, jsonify, request

from shared.config import Config, ConfigError

log = logging.getLogger("server.auth")

TOKEN_BYTES = 32
NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
LEGACY_TILL_ENV = "FEEDBACK_API_TOKEN"
LEGACY_TILL_NAME = "till"

View = TypeVar("View", bound=Callable[..., Any])


class Role(enum.StrEnum):
    """What a client may do: a till asks for texts, a kiosk sends its answers, a manager works the queue."""

    TILL = "till"
    KIOSK = "kiosk"
    MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    role: Role
    sha256: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_token() -> str:
    """A new random token (URL-safe text of 32 random bytes)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class Clients:
    """A list of clients; :meth:`identify` finds who presented a token."""

    def __init__(self, clients: list[Client]) -> None:
        self.clients = clients

    def __len__(self) -> int:
        return len(self.clients)

    def identify(self, token: str) -> Client | None:
        """The client whose token this is, or None. Every entry is compared, so the time taken does
        not tell which (or whether any) matched."""
        if not token:
            return None
        presented = token_hash(token).encode()
        found = None
        for client in self.clients:
            if hmac.compare_digest(presented, client.sha256.encode()):
                found = client
        return found


def parse_clients(table: Any) -> list[Client]:
    """The clients of a ``[sync.clients]`` table; unknown roles and bad hashes are a :class:`ConfigError`."""
    if not isinstance(table, Mapping):
        raise ConfigError("[sync.clients] must be a table of name = { role = ..., sha256 = ... }")
    clients = []
    for name, entry in table.items():
        where = f"[sync.clients] {name}"
        if not NAME.match(name):
            raise ConfigError(f"{where}: a client name is 1 to 40 letters, digits, - or _")
        if not isinstance(entry, Mapping):
            raise ConfigError(f'{where} must be {{ role = "kiosk", sha256 = "..." }} (from `feedback token`)')
        try:
            role = Role(entry.get("role"))
        except ValueError:
            raise ConfigError(f"{where}: role must be one of {', '.join(Role)}, not {entry.get('role')!r}") from None
        digest = str(entry.get("sha256", "")).lower()
        if not HEX_SHA256.match(digest):
            raise ConfigError(f"{where}: sha256 must be 64 hex digits, as printed by `feedback token`")
        clients.append(Client(name, role, digest))
    return clients


def _legacy_till(config: Config) -> list[Client]:
    token = config.secret(LEGACY_TILL_ENV)
    return [Client(LEGACY_TILL_NAME, Role.TILL, token_hash(token))] if token else []


def load_clients(config: Config) -> Clients:
    """``[sync.clients]`` as loaded with the configuration, plus the deprecated ``FEEDBACK_API_TOKEN`` till."""
    return Clients(parse_clients(config.section("sync").get("clients", {}) or {}) + _legacy_till(config))


class ClientRegistry:
    """The clients, re-read from the configuration file whenever its modification time changes.

    A file that cannot be read or parsed keeps the previous list (and logs why), so a typo made
    while editing does not lock every kiosk out; the fix takes effect on the next request.
    """

    def __init__(self, config: Config) -> None:
        self.source = config.source
        self.legacy = _legacy_till(config)
        self.current = load_clients(config)
        self.stamp = self._stamp()
        self.lock = threading.Lock()
        if self.legacy:
            log.warning(
                "%s is deprecated: give each till its own token (`feedback token --role till`)", LEGACY_TILL_ENV
            )

    def _stamp(self) -> tuple[int, int] | None:
        try:
            status = Path(self.source).stat() if self.source else None
        except OSError:
            return None
        return (status.st_mtime_ns, status.st_size) if status else None

    def clients(self) -> Clients:
        stamp = self._stamp()
        if stamp == self.stamp or stamp is None:
            return self.current
        with self.lock:
            if stamp != self.stamp:
                self.stamp = stamp
                self._reload()
        return self.current

    def _reload(self) -> None:
        assert self.source is not None
        try:
            raw = tomllib.loads(Path(self.source).read_text(encoding="utf-8"))
            table = raw.get("sync", {}).get("clients", {}) if isinstance(raw.get("sync"), dict) else {}
            clients = parse_clients(table or {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ConfigError) as error:
            log.error("%s was changed but cannot be read (%s): the previous clients stay in force", self.source, error)
            return
        self.current = Clients(clients + self.legacy)
        log.info("clients re-read from %s: %s", self.source, ", ".join(c.name for c in self.current.clients) or "none")

    def identify(self, token: str) -> Client | None:
        return self.clients().identify(token)


def presented_token() -> str:
    return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()


def role_required(*roles: Role) -> Callable[[View], View]:
    """401 (nothing read, nothing written) without a known token; 403 with another role's token.
    The client is in ``g.client`` for the view."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            given = presented_token()
            registry: ClientRegistry = current_app.extensions["clients"]
            client = registry.identify(given)
            if client is None:
                log.warning("401: %s token on %s", "missing" if not given else "unknown", request.path)
                response = jsonify(error="a valid token is needed: Authorization: Bearer <token from `feedback token`>")
                response.headers["WWW-Authenticate"] = 'Bearer realm="feedback"'
                return response, 401
            if client.role not in roles:
                needed = " or ".join(roles)
                log.warning("403: %s (%s) on %s", client.name, client.role, request.path)
                return jsonify(error=f"the token of {client.name} has role {client.role}, this needs {needed}"), 403
            g.client = client
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


# -- feedback token -------------------------------------------------------------------


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "token",
        parents=[common],
        help="mint a token for a till, a remote kiosk or a managers' console",
        description="Prints a new random token (give it to the client, e.g. in a file named by --token-file) and "
        "the line to add to the server's [sync.clients] table, which holds only the token's hash. The server "
        "re-reads that table when the file is saved: adding or deleting a line needs no restart.",
    )
    parser.add_argument("--name", required=True, help="the client's name: letters, digits, - or _ (e.g. front)")
    parser.add_argument("--role", required=True, choices=[str(role) for role in Role])
    parser.set_defaults(handler=run_token)


def run_token(args: argparse.Namespace, config: Config) -> int:
    if not NAME.match(args.name):
        raise ConfigError("--name must be 1 to 40 letters, digits, - or _")
    token = mint_token()
    print(f"# Token for {args.name} (shown once; keep it secret, on the {args.role} only):")
    print(token)
    print("# Add this line to the [sync.clients] table of the server's configuration (no restart needed):")
    print(f'{args.name} = {{ role = "{args.role}", sha256 = "{token_hash(token)}" }}')
    return 0
