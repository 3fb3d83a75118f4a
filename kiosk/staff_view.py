"""The view staff give from the staff menu, held for the next customer's answer at this kiosk.

The customer never sees it: it rides in their rating's ``extra`` (``staff_view``) and the store
pairs the two (:mod:`shared.interactions`). It lasts the window (``staff_view_window_seconds``,
120 s by default) and is given to one answer only; a newer view replaces an older one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.interactions import DEFAULT_WINDOW, VIEW_KEY
from shared.ratings import Outcome, Rating

_WORDS = {Outcome.BELOW: "fell short", Outcome.MET: "met", Outcome.EXCEEDED: "exceeded"}


@dataclass
class PendingView:
    window: timedelta = DEFAULT_WINDOW
    view: Outcome | None = None
    until: datetime | None = None

    def give(self, view: Outcome, now: datetime) -> None:
        self.view, self.until = view, now + self.window

    def waiting(self, now: datetime) -> Outcome | None:
        if self.view is not None and self.until is not None and now <= self.until:
            return self.view
        return None

    def given_to(self, rating: Rating, now: datetime) -> Rating:
        """The rating carrying the view, if one waits (then it is used up); test taps never carry one."""
        view = self.waiting(now)
        self.view, self.until = None, None
        if view is None or rating.suspect:
            return rating
        return dataclasses.replace(rating, extra={**rating.extra, VIEW_KEY: str(view)})

    def describe(self, now: datetime) -> str:
        """For the staff menu only: the view waiting and how long it still waits."""
        view = self.waiting(now)
        if view is None or self.until is None:
            return ""
        seconds = max(int((self.until - now).total_seconds()), 0)
        return f"Your view for the next customer: {_WORDS[view]} (waits {seconds} s more). Give another to replace it."
