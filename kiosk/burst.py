"""Suspect bursts: more taps in a short window than customers could give.

Pure logic: the caller passes the time of each tap. Taps beyond the limit are
marked suspect (still stored, left out of the follow-up queue and statistics);
the ones before it count as ordinary answers, since nothing told them apart yet.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class BurstDetector:
    """Counts first taps within a sliding window."""

    def __init__(self, limit: int, window: timedelta) -> None:
        if limit < 1:
            raise ValueError("a burst limit must be at least 1")
        self.limit = limit
        self.window = window
        self._taps: deque[datetime] = deque()

    def tap(self, now: datetime) -> bool:
        """Note a tap at ``now``; True when it is one more than ``limit`` taps within the window."""
        while self._taps and now - self._taps[0] >= self.window:
            self._taps.popleft()
        self._taps.append(now)
        # Bounded memory: only the last ``limit + 1`` taps can matter.
        while len(self._taps) > self.limit + 1:
            self._taps.popleft()
        return len(self._taps) > self.limit
