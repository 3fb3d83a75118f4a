"""When a screen left alone should give up: a full timeout after the last key or tap, on the app's clock.

Textual's ``Timer.reset`` only takes effect at the old deadline (a key at 15 s of a 20 s timeout gave
40 s, not 35), so screens keep a deadline here instead and check it on a short tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class Inactivity:
    """``seconds`` of nothing since the last :meth:`touch` is a timeout."""

    seconds: float
    last: datetime | None = None

    def touch(self, now: datetime) -> None:
        self.last = now

    def expired(self, now: datetime) -> bool:
        """True once ``seconds`` passed since the last touch; never before the first touch.

        A clock set back (a time sync) restarts the wait rather than holding a screen open for as long.
        """
        if self.last is None:
            return False
        if now < self.last:
            self.last = now
        return now - self.last >= timedelta(seconds=self.seconds)
