"""Escalation of overdue follow-ups: mark each one once, whichever console sees it first.

Marking sets ``escalated_at``; the SMS server texts the ``[alerts]`` contacts for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from shared.followups import FollowUp
from shared.store import FeedbackStore


def due_for_escalation(followups: Iterable[FollowUp], now: datetime) -> list[FollowUp]:
    """Active, overdue and not yet escalated."""
    return [f for f in followups if f.is_overdue(now) and f.escalated_at is None]


def escalate_if_overdue(store: FeedbackStore, followup_id: str, *, now: datetime) -> FollowUp | None:
    """Escalate unless another console already did (checked and marked under one lock)."""
    with store.transaction():
        current = store.get_followup(followup_id)
        if not (current.is_overdue(now) and current.escalated_at is None):
            return None
        return store.escalate(followup_id, now=now)
