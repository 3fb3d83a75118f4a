"""The base of every kiosk screen that gives up when left alone (steps, PIN prompt, staff menu).

The app reports every key and tap on the current screen (:meth:`TimedScreen.keep_alive`), whichever
widget takes it (the phone field, the keypad), so a person still answering is never cut off; the
deadline is a full timeout from the last one, read from the app's clock on a short tick.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from textual.screen import Screen
from textual.timer import Timer

from kiosk.inactivity import Inactivity

TICK_SECONDS = 0.1
ResultType = TypeVar("ResultType")


class TimedScreen(Screen[ResultType]):
    def __init__(self, *, timeout: float, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.timeout = timeout
        self.clock = clock
        self._inactivity = Inactivity(timeout)
        self._ticker: Timer | None = None

    def start_timeout(self) -> None:
        """Start waiting, a full timeout from now."""
        self.stop_timeout()
        self._inactivity = Inactivity(self.timeout)
        self._inactivity.touch(self.clock())
        self._ticker = self.set_interval(min(TICK_SECONDS, self.timeout / 2 or TICK_SECONDS), self._tick)

    def stop_timeout(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def keep_alive(self) -> None:
        """A key or tap: a full timeout again from now."""
        if self._ticker is not None:
            self._inactivity.touch(self.clock())

    def _tick(self) -> None:
        if self._ticker is not None and self._inactivity.expired(self.clock()):
            self.stop_timeout()
            self.time_out()

    def time_out(self) -> None:
        """Left alone for the whole timeout."""
        raise NotImplementedError
