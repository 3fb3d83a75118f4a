"""Remote mode: the kiosk keeps every answer in its local outbox and sends it to the server in batches.

A tap only ever writes the local outbox (durable, a few milliseconds), so the customer never
waits on the network. The kiosk's retry worker then calls :meth:`RemoteRecorder.flush`, which
sends the oldest entries first as one ``POST /api/ratings`` per batch and removes them only
once the server answered for each. A batch that fails in transit is sent again whole: the
server stores each rating once (idempotent by id) and an update carries the whole rating, so
after hours offline everything arrives once, in order. An entry the server refuses (it would
be refused again) is moved from the outbox to ``refused.json`` beside it, logged, and counted in
:attr:`RemoteRecorder.refused`.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from kiosk.outbox import Operation, Outbox, OutboxEntry
from kiosk.recorder import Recorder
from shared.config import Config, ConfigError
from shared.phones import mask_text
from shared.ratings import Rating
from shared.remote import remote_endpoint
from shared.storage import StoreError, write_atomically

log = logging.getLogger(__name__)

TOKEN_ENV = "FEEDBACK_KIOSK_TOKEN"
DEFAULT_BATCH = 200
DEFAULT_TIMEOUT = 15.0
REFUSED_FILE = "refused.json"
NUMBER_LIKE = re.compile(r"\+?\d[\d ().-]{4,}\d")


class SyncUnavailable(StoreError):
    """The server could not take the batch now (offline, refused the token, busy); it is sent again later."""


class BatchTooLarge(SyncUnavailable):
    """The server's body limit is smaller than this batch: smaller batches will go through."""


@dataclass(frozen=True, slots=True)
class RemoteSettings:
    """Where a remote kiosk sends its answers: ``[sync] server`` and the token (``FEEDBACK_KIOSK_TOKEN``)."""

    server: str
    token: str
    batch_size: int = DEFAULT_BATCH
    timeout: float = DEFAULT_TIMEOUT


def remote_settings(
    config: Config, *, server: str | None = None, token_file: str | None = None
) -> RemoteSettings | None:
    """``--server``/``--token-file`` over ``[sync] server`` and ``$FEEDBACK_KIOSK_TOKEN``; None when not remote."""
    endpoint = remote_endpoint(config, server=server, token_file=token_file, token_env=TOKEN_ENV, who="kiosk")
    if endpoint is None:
        return None
    server, token = endpoint
    table: Mapping[str, Any] = config.section("sync")
    batch = table.get("batch_size", DEFAULT_BATCH)
    if not isinstance(batch, int) or not 1 <= batch <= 1000:
        raise ConfigError("[sync] batch_size must be a whole number from 1 to 1000")
    timeout = table.get("timeout_seconds", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("[sync] timeout_seconds must be a number of seconds above 0")
    return RemoteSettings(server, token, batch, float(timeout))


class RemoteSender:
    """Sends outbox entries to ``POST <server>/api/ratings``; one result per entry, in order."""

    def __init__(self, settings: RemoteSettings) -> None:
        self.settings = settings
        self.url = f"{settings.server}/api/ratings"

    def send_batch(self, entries: list[OutboxEntry]) -> list[dict[str, str]]:
        """The server's result for each entry; :class:`SyncUnavailable` if the batch did not get through."""
        body = orjson.dumps({"entries": [{"op": str(e.op), "rating": e.rating.to_record()} for e in entries]})
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {self.settings.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                results = orjson.loads(response.read())["results"]
        except urllib.error.HTTPError as error:
            problem = BatchTooLarge if error.code == 413 else SyncUnavailable
            raise problem(_http_problem(self.settings.server, error)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SyncUnavailable(f"cannot reach the server {self.settings.server}: {reason}") from None
        except (orjson.JSONDecodeError, KeyError, TypeError) as error:
            raise SyncUnavailable(f"the server {self.settings.server} answered something else: {error}") from None
        if not isinstance(results, list) or len(results) != len(entries):
            raise SyncUnavailable(f"the server {self.settings.server} answered {len(results)} of {len(entries)}")
        return results

    def send(self, op: Operation, rating: Rating) -> None:
        """One entry (the :class:`~kiosk.outbox.OutboxSender` protocol); a refusal is logged, not raised."""
        (result,) = self.send_batch([OutboxEntry(0, op, rating)])
        if result.get("status") == "error":
            log.error("the server refused rating %s: %s", rating.id, _masked(str(result.get("error"))))


def _http_problem(server: str, error: urllib.error.HTTPError) -> str:
    if error.code == 401:
        return f"the server {server} refused this kiosk's token: check {TOKEN_ENV} against [sync.clients]"
    if error.code == 403:
        return f"the token given to this kiosk at {server} is not a kiosk's token"
    if error.code == 413:
        return f"the server {server} found the batch too large ([sync] max_body_bytes there)"
    try:
        detail = orjson.loads(error.read()).get("error", "")
    except (orjson.JSONDecodeError, AttributeError, OSError):
        detail = ""
    return f"the server {server} answered {error.code}" + (f": {detail}" if detail else "")


def _masked(message: str) -> str:
    """A refusal may quote the phone number a customer typed: mask anything number-like."""
    return NUMBER_LIKE.sub(lambda match: mask_text(match.group()), message)


class RemoteRecorder(Recorder):
    """Every answer goes to the outbox first; :meth:`flush` drains it to the server in batches."""

    def __init__(self, sender: RemoteSender, outbox: Outbox) -> None:
        super().__init__(sender, outbox)
        self.remote = sender
        self.refused = 0
        self.batch_size = sender.settings.batch_size

    def submit(self, op: Operation, rating: Rating) -> bool:
        """Queue locally (never the network); False means "waiting to be sent", as for the local store."""
        self.outbox.add(op, rating)
        return False

    def flush(self) -> int:
        """Send batches oldest first until the outbox is empty or a batch fails; return how many remain."""
        with self._flushing:
            while batch := self.outbox.entries()[: self.batch_size]:
                try:
                    results = self.remote.send_batch(batch)
                except BatchTooLarge as error:
                    if self.batch_size == 1:
                        self.last_error = error
                        break
                    self.batch_size = max(self.batch_size // 2, 1)  # and again at once, smaller
                    log.warning("%s: sending %d answers at a time", error, self.batch_size)
                    continue
                except StoreError as error:
                    if str(error) != str(self.last_error):  # once per problem, not at every retry
                        log.warning("%d answer(s) wait to be sent: %s", len(self.outbox), error)
                    self.last_error = error
                    break
                answered = zip(batch, results, strict=True)
                refused = [(entry, str(r.get("error"))) for entry, r in answered if r.get("status") == "error"]
                if refused:
                    self._keep_refused(refused)
                self.outbox.remove_all(entry.seq for entry in batch)
            else:
                self.last_error = None
            return len(self.outbox)

    def _keep_refused(self, refused: list[tuple[OutboxEntry, str]]) -> None:
        """Set refused answers aside in ``refused.json`` beside the outbox, with the server's reason,
        so that nothing is lost (a kiosk whose clock ran ahead, say) and the outbox moves on."""
        self.refused += len(refused)
        for entry, message in refused:
            log.error("the server refused rating %s: %s", entry.rating.id, _masked(message))
        path = self.outbox.path.with_name(REFUSED_FILE)
        try:
            kept = orjson.loads(path.read_bytes())["entries"] if path.exists() else []
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
            kept = []  # a damaged side file must not stop the outbox; the log has every refusal
        kept += [{**entry.to_record(), "error": message} for entry, message in refused]
        try:
            write_atomically(path, orjson.dumps({"entries": kept}))
        except OSError as error:
            log.error("could not keep the refused answers in %s: %s", path, error)
