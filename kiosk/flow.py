"""The order of the kiosk's questions after the first tap, as a small pure table.

fell short → reasons → manager now? → phone → thanks
exceeded   → who made your day? (only with a staff list) → thanks
met        → thanks

Skipping a step moves on to the next one; a step that times out ends the visit
(back to idle: the customer has walked away, and what they gave is already stored).
"""

from __future__ import annotations

import enum

from shared.ratings import Outcome


class Step(enum.StrEnum):
    REASONS = "reasons"
    MANAGER_NOW = "manager_now"
    PHONE = "phone"
    SHOUTOUT = "shoutout"
    THANKS = "thanks"


def first_step(outcome: Outcome, *, has_staff: bool) -> Step:
    """The screen shown right after the answer was recorded."""
    if outcome is Outcome.BELOW:
        return Step.REASONS
    if outcome is Outcome.EXCEEDED and has_staff:
        return Step.SHOUTOUT
    return Step.THANKS


def next_step(step: Step) -> Step | None:
    """The step after ``step`` was answered or skipped; None after the thank-you."""
    return {
        Step.REASONS: Step.MANAGER_NOW,
        Step.MANAGER_NOW: Step.PHONE,
        Step.PHONE: Step.THANKS,
        Step.SHOUTOUT: Step.THANKS,
        Step.THANKS: None,
    }[step]
