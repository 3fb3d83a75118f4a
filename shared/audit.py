"""The audit trail of phone-number reveals: who saw which customer's full number, and when.

Kept in ``<data>/audit.json`` (table ``reveals``), written durably under the store's lock.
The number itself is never written here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tinydb.table import Document

from shared.ratings import parse_time
from shared.store import FeedbackStore

AUDIT_DB = "audit"
REVEALS = "reveals"


@dataclass(frozen=True, slots=True)
class Reveal:
    followup_id: str
    by: str
    at: datetime


def record_reveal(store: FeedbackStore, followup_id: str, *, by: str, now: datetime) -> Reveal:
    """Write the reveal before the number is shown, so no reveal goes unrecorded."""
    reveal = Reveal(followup_id=followup_id, by=by, at=now)
    with store.transaction() as tx:
        tx.db(AUDIT_DB).table(REVEALS).insert(
            Document({"followup_id": followup_id, "by": by, "at": now.isoformat()}, doc_id=uuid.uuid4().hex)
        )
    return reveal


def reveals(store: FeedbackStore) -> list[Reveal]:
    """Every recorded reveal, oldest first."""
    with store.transaction() as tx:
        records = tx.db(AUDIT_DB).table(REVEALS).all()
    found = [Reveal(r["followup_id"], r["by"], parse_time(r["at"])) for r in records]
    return sorted(found, key=lambda reveal: reveal.at)
