"""The inbound spool: texts the store could not take yet, kept as Twilio sent them until it can.

It never takes the store's lock, so a purge holding the lock, a damaged store file or a
store on a full disk cannot stop a text from being kept. It lives in its own folder
(``<data>/sms/spool``, or ``[sms] spool_dir``, best on another disk), one file per text,
``<arrival>-<sid>.json``, written atomically (a temporary file fsynced, renamed, the folder
fsynced; mode 600): a file that exists is complete, names sort in arrival order, and two
processes can spool side by side. A stored text's file is deleted; a text replayed twice
(a crash before its file was deleted) is stored once, because the responder de-duplicates
by ``MessageSid``.

If a file cannot be written (the spool's disk is full too), the text is kept in memory and
written with the next replay attempt, so it is still stored while the server runs.
Unreadable files, and texts the responder fails on again and again, go to ``failed/`` for a
person to look at, rather than holding up every text behind them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from shared.files import _process_alive, _temporary_owner
from shared.phones import mask_phone
from shared.private_files import private_folder
from shared.ratings import InvalidRating, parse_time
from shared.storage import write_atomically

log = logging.getLogger("sms.spool")

SPOOL_LIMIT = 10_000  # texts; at about 1 KB each, 10 MB. Beyond it a text is answered but not kept.
FAILED = "failed"


class SpoolError(Exception):
    """A text could not be written to the spool's folder; the message says what happened to it."""


def message_sid(form: Mapping[str, str]) -> str:
    """Twilio's id of the message (``SmsSid`` in older requests), cut to 64 characters."""
    return (form.get("MessageSid") or form.get("SmsSid") or "")[:64]


@dataclass(frozen=True, slots=True)
class SpooledText:
    """One inbound request as Twilio sent it (its form fields), and when it reached us."""

    name: str  # the file's name: sorts in arrival order
    received: datetime
    form: Mapping[str, str]

    @property
    def sid(self) -> str:
        return message_sid(self.form)

    @property
    def sender(self) -> str:
        return self.form.get("From", "")

    @property
    def masked_sender(self) -> str:
        return mask_phone(self.sender)

    def to_json(self) -> bytes:
        return orjson.dumps({"received": self.received.isoformat(), "form": dict(self.form)})

    @classmethod
    def from_json(cls, name: str, content: bytes) -> SpooledText:
        """Raises ValueError (or a subclass) when the content is not a spooled text."""
        record = orjson.loads(content)
        form = record["form"] if isinstance(record, dict) else None
        if not isinstance(form, dict) or not all(isinstance(value, str) for value in form.values()):
            raise ValueError("no form fields")
        return cls(name, parse_time(record["received"]), form)


class InboundSpool:
    """A durable FIFO of inbound texts in one folder; safe to share between threads."""

    def __init__(self, folder: Path, *, limit: int = SPOOL_LIMIT) -> None:
        self.folder = Path(folder)
        self.limit = limit
        self._lock = threading.Lock()
        self._texts: dict[str, SpooledText] = {}
        self._senders: Counter[str] = Counter()  # From of the texts waiting, to keep each number's order
        self._unwritten: set[str] = set()  # names kept in memory only (the folder could not be written)
        self._last_arrival = 0
        self._load()

    def __len__(self) -> int:
        with self._lock:
            return len(self._texts)

    def texts(self) -> list[SpooledText]:
        """Every text waiting, oldest first."""
        with self._lock:
            return [self._texts[name] for name in sorted(self._texts)]

    def holds(self, sid: str) -> bool:
        with self._lock:
            return any(text.sid == sid for text in self._texts.values())

    def holds_sender(self, sender: str) -> bool:
        """Whether texts from this number (``From``) wait here: a new one must not overtake them."""
        with self._lock:
            return self._senders[sender] > 0

    def add(self, form: Mapping[str, str], received: datetime) -> SpooledText | None:
        """Keep a text, durable when this returns; None if a text with its sid is kept already (Twilio
        delivered it twice: checked under the same lock as the adding, so two deliveries at once keep one).

        Raises :class:`SpoolError` when the spool is full (the text is not kept) or its folder
        cannot be written (the text is kept in memory and written later).
        """
        with self._lock:
            sid = message_sid(form)
            if any(text.sid == sid for text in self._texts.values()):
                return None
            if len(self._texts) >= self.limit:
                raise SpoolError(f"the spool already holds {self.limit} texts; this one is NOT kept")
            # Nanoseconds since the epoch, strictly increasing here: names sort in arrival order.
            self._last_arrival = max(time.time_ns(), self._last_arrival + 1)
            safe_sid = re.sub(r"[^A-Za-z0-9]", "", message_sid(form))[:40]
            text = SpooledText(f"{self._last_arrival:020d}-{safe_sid}.json", received, dict(form))
            self._keep(text)
            try:
                self._write(text)
            except SpoolError:
                self._unwritten.add(text.name)
                raise
            return text

    def remove(self, text: SpooledText) -> None:
        """Forget a text that is stored now."""
        with self._lock:
            self._forget(text)
            if text.name in self._unwritten:
                self._unwritten.discard(text.name)
                return
            try:
                (self.folder / text.name).unlink(missing_ok=True)
            except OSError as error:  # replayed again at the next start: stored once all the same
                log.warning("could not delete the stored text %s from the spool: %s", text.name, error.strerror)

    def write_pending(self) -> int:
        """Write texts kept only in memory, now that the folder may have room; return how many still are not."""
        with self._lock:
            for name in sorted(self._unwritten):
                try:
                    self._write(self._texts[name])
                except SpoolError:
                    break
                self._unwritten.discard(name)
            return len(self._unwritten)

    def set_aside(self, text: SpooledText, reason: str) -> None:
        """Move a text that cannot be stored to ``failed/``, out of the way of the texts behind it."""
        log.error(
            "spool: text %s from %s set aside in %s (%s); a person must look at it",
            text.sid,
            text.masked_sender,
            self.folder / FAILED,
            reason,
        )
        with self._lock:
            self._forget(text)
            try:
                write_atomically(self.folder / FAILED / text.name, text.to_json())
            except OSError as error:
                log.error("spool: could not write %s: %s", self.folder / FAILED / text.name, error.strerror)
                return
            self._unwritten.discard(text.name)
            with contextlib.suppress(OSError):
                (self.folder / text.name).unlink(missing_ok=True)

    def _keep(self, text: SpooledText) -> None:
        self._texts[text.name] = text
        self._senders[text.sender] += 1

    def _forget(self, text: SpooledText) -> None:
        if self._texts.pop(text.name, None) is not None:
            self._senders[text.sender] -= 1
            if not self._senders[text.sender]:
                del self._senders[text.sender]

    def _write(self, text: SpooledText) -> None:
        try:
            write_atomically(self.folder / text.name, text.to_json())
        except OSError as error:
            raise SpoolError(
                f"could not write {self.folder / text.name}: {error.strerror or error}; "
                f"the text is kept in memory only, until it is stored"
            ) from error

    def _load(self) -> None:
        """Read the texts left by earlier runs; set aside unreadable files, remove dead writers' temporaries."""
        try:
            private_folder(self.folder)
            entries = sorted(os.scandir(self.folder), key=lambda entry: entry.name)
        except OSError as error:
            log.error("cannot open the spool folder %s: %s; texts will be kept in memory", self.folder, error)
            return
        for entry in entries:
            owner = _temporary_owner(entry.name)
            if owner is not None:
                if not _process_alive(owner):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                continue
            if not entry.name.endswith(".json") or not entry.is_file():
                continue
            try:
                arrival = int(entry.name.split("-", 1)[0])
                text = SpooledText.from_json(entry.name, Path(entry.path).read_bytes())
            except (OSError, ValueError, KeyError, InvalidRating) as error:
                self._move_aside(entry.name, f"unreadable: {error}")
                continue
            self._keep(text)
            self._last_arrival = max(self._last_arrival, arrival)
        if self._texts:
            log.warning("the spool holds %d text(s) from an earlier run, to be stored in order", len(self._texts))

    def _move_aside(self, name: str, reason: str) -> None:
        log.error("spool: %s moved to %s (%s); a person must look at it", name, self.folder / FAILED, reason)
        with contextlib.suppress(OSError):
            private_folder(self.folder / FAILED)
            os.replace(self.folder / name, self.folder / FAILED / name)
